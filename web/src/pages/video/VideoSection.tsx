// The video section's routes, under /o/:orgId/video.
import { Route, Routes } from "react-router-dom";
import { NotFound } from "../NotFound";
import { VideoLibraryPage } from "./VideoLibrary";
import { VideoPage } from "./VideoPage";

export function VideoSection() {
  return (
    <Routes>
      <Route index element={<VideoLibraryPage />} />
      <Route path=":videoId" element={<VideoPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
