import { Route, Routes } from "react-router-dom";
import { RequireAuth } from "./components/RequireAuth";
import { Shell } from "./components/Shell";
import { AccountPage } from "./pages/Account";
import { ApiKeysPage } from "./pages/ApiKeys";
import { AthletesPage } from "./pages/Athletes";
import { Dashboard } from "./pages/Dashboard";
import { FootballSection } from "./pages/football/FootballSection";
import { JobsPage } from "./pages/Jobs";
import { InvitePage } from "./pages/Invite";
import { LoginPage } from "./pages/Login";
import { MembersPage } from "./pages/Members";
import { MotorsportSection } from "./pages/motorsport/MotorsportSection";
import { NotFound } from "./pages/NotFound";
import { OrgHome } from "./pages/OrgHome";
import { ForgotPasswordPage, ResetPasswordPage } from "./pages/PasswordReset";
import { SwingSection } from "./pages/swing/SwingSection";
import { UploadsPage } from "./pages/Uploads";
import { VideoSection } from "./pages/video/VideoSection";
import { SessionProvider } from "./state/session";

export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        {/* Public: reached from links in mails, with or without a session. */}
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/reset-password/:token" element={<ResetPasswordPage />} />
        <Route path="/invite/:token" element={<InvitePage />} />
        <Route element={<RequireAuth />}>
          <Route index element={<OrgHome />} />
          <Route path="account" element={<Shell personal />}>
            <Route index element={<AccountPage />} />
          </Route>
          <Route path="o/:orgId" element={<Shell />}>
            <Route index element={<Dashboard />} />
            <Route path="football/*" element={<FootballSection />} />
            <Route path="video/*" element={<VideoSection />} />
            <Route path="swing/*" element={<SwingSection />} />
            <Route path="motorsport/*" element={<MotorsportSection />} />
            <Route path="athletes" element={<AthletesPage />} />
            <Route path="members" element={<MembersPage />} />
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
