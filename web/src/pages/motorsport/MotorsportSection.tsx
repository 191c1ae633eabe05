// The motorsport section's routes, under /o/:orgId/motorsport.
import { Route, Routes } from "react-router-dom";
import { NotFound } from "../NotFound";
import { SessionListPage } from "./SessionList";
import { TimingPage } from "./TimingPage";

export function MotorsportSection() {
  return (
    <Routes>
      <Route index element={<SessionListPage />} />
      <Route path="sessions/:sessionId" element={<TimingPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
