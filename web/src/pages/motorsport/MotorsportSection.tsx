// The motorsport section's routes, under /o/:orgId/motorsport.
import { Route, Routes } from "react-router-dom";
import { NotFound } from "../NotFound";
import { AnalysisPage } from "./AnalysisPage";
import { SessionListPage } from "./SessionList";
import { TelemetryPage } from "./TelemetryPage";
import { TimingPage } from "./TimingPage";

export function MotorsportSection() {
  return (
    <Routes>
      <Route index element={<SessionListPage />} />
      <Route path="sessions/:sessionId" element={<TimingPage />} />
      <Route path="sessions/:sessionId/analysis" element={<AnalysisPage />} />
      <Route path="telemetry" element={<TelemetryPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
