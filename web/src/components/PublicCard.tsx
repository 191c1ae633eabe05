import type { ReactNode } from "react";

/** The centred card of the pages used without a session (login, password reset, invitations). */
export function PublicCard({ title, subtitle = "Sports performance analytics", testId, children }: {
  title: string;
  subtitle?: string;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <div className="login-page">
      <div className="card login-card" data-testid={testId}>
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <div>
            <h1>{title}</h1>
            <p className="muted">{subtitle}</p>
          </div>
        </div>
        {children}
      </div>
    </div>
  );
}
