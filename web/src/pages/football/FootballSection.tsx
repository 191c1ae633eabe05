// The football section's routes, under /o/:orgId/football.
import { Route, Routes } from "react-router-dom";
import { NotFound } from "../NotFound";
import { MatchListPage } from "./MatchList";
import { MatchPage } from "./MatchPage";
import { PlayerPage } from "./PlayerPage";

export function FootballSection() {
  return (
    <Routes>
      <Route index element={<MatchListPage />} />
      <Route path="matches/:matchId" element={<MatchPage />} />
      <Route path="matches/:matchId/players/:playerId" element={<PlayerPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
