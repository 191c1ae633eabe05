// The swing section's routes, under /o/:orgId/swing.
import { Route, Routes } from "react-router-dom";
import { NotFound } from "../NotFound";
import { AthleteProgressPage } from "./AthleteProgress";
import { ComparePage } from "./ComparePage";
import { SwingListPage } from "./SwingList";
import { SwingPage } from "./SwingPage";

export function SwingSection() {
  return (
    <Routes>
      <Route index element={<SwingListPage />} />
      <Route path=":swingId" element={<SwingPage />} />
      <Route path=":swingId/compare/:referenceId" element={<ComparePage />} />
      <Route path="athletes/:athleteId" element={<AthleteProgressPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
