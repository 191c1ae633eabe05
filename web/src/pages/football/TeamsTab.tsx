// Team comparison: every key the server sends, home beside away, with a bar for numeric pairs.
import { Alert, Spinner } from "../../components/ui";
import { getTeamStats } from "../../lib/football/api";
import { formatValue, labelFor } from "../../lib/football/labels";
import type { MatchDetail } from "../../lib/football/types";
import { useLoad } from "./common";

const shown = (v: unknown) => typeof v === "number" || typeof v === "string" || typeof v === "boolean" || v === null;

export function TeamsTab({ orgId, match, colours }: { orgId: string; match: MatchDetail; colours: { home: string; away: string } }) {
  const stats = useLoad(() => getTeamStats(orgId, match.id), [orgId, match.id]);
  if (stats.error) return <Alert>{stats.error}</Alert>;
  if (!stats.data) return <Spinner />;
  const home = stats.data.home ?? {};
  const away = stats.data.away ?? {};
  const keys = [...new Set([...Object.keys(home), ...Object.keys(away)])].filter((k) => shown(home[k]) && shown(away[k] ?? null));
  if (keys.length === 0) return <div className="card empty muted">No team statistics for this match.</div>;
  return (
    <div className="table-wrap" data-testid="tab-teams">
      <table className="table fb-team-table" data-testid="team-stats">
        <thead>
          <tr>
            <th className="num">{match.home.name}</th>
            <th className="fb-team-metric">Metric</th>
            <th>{match.away.name}</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => {
            const h = home[key];
            const a = away[key];
            const bothNumbers = typeof h === "number" && typeof a === "number" && h >= 0 && a >= 0 && h + a > 0;
            const share = bothNumbers ? (h as number) / ((h as number) + (a as number)) : null;
            return (
              <tr key={key} data-testid="team-stat-row" data-key={key}>
                <td className="num">{formatValue(key, h)}</td>
                <td className="fb-team-metric">
                  <div>{labelFor(key)}</div>
                  {share !== null && (
                    <div className="fb-share" aria-hidden="true">
                      <span style={{ width: `${share * 100}%`, background: colours.home }} />
                      <span style={{ width: `${(1 - share) * 100}%`, background: colours.away }} />
                    </div>
                  )}
                </td>
                <td>{formatValue(key, a)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
