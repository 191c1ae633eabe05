import { Link } from "react-router-dom";

export function NotFound() {
  return (
    <section className="card narrow" data-testid="not-found">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <Link to="/">Go to the dashboard</Link>
    </section>
  );
}
