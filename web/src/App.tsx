import { Route, Routes } from "react-router-dom";
import { RequireAuth } from "./components/RequireAuth";
import { Shell } from "./components/Shell";
import { ApiKeysPage } from "./pages/ApiKeys";
import { Dashboard } from "./pages/Dashboard";
import { JobsPage } from "./pages/Jobs";
import { LoginPage } from "./pages/Login";
import { NotFound } from "./pages/NotFound";
import { OrgHome } from "./pages/OrgHome";
import { PlaceholderPage } from "./pages/Placeholder";
import { UploadsPage } from "./pages/Uploads";
import { SessionProvider } from "./state/session";

export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireAuth />}>
          <Route index element={<OrgHome />} />
          <Route path="o/:orgId" element={<Shell />}>
            <Route index element={<Dashboard />} />
            <Route path="football" element={<PlaceholderPage section="football" />} />
            <Route path="video" element={<PlaceholderPage section="video" />} />
            <Route path="swing" element={<PlaceholderPage section="swing" />} />
            <Route path="motorsport" element={<PlaceholderPage section="motorsport" />} />
            <Route path="jobs" element={<JobsPage />} />
            <Route path="uploads" element={<UploadsPage />} />
            <Route path="api-keys" element={<ApiKeysPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
          <Route path="*" element={<div className="center-page"><NotFound /></div>} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
