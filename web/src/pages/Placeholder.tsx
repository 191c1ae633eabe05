import { PageHeader } from "../components/ui";

export const SECTIONS = {
  football: {
    title: "Football",
    text: "Match and training analysis will live here: event data and tracking imports, expected goals, pass networks, pressing and physical load per player.",
  },
  video: {
    title: "Video",
    text: "Upload match and session footage, tag and share clips, and run ball and pose tracking jobs on it.",
  },
  swing: {
    title: "Swing",
    text: "Swing analysis for golf, tennis and baseball will come here: phase detection, tempo and the kinematic sequence from video or sensors.",
  },
  motorsport: {
    title: "Motorsport",
    text: "Telemetry will come here: lap and sector comparisons, racing lines, and braking and throttle traces from your data logger exports.",
  },
} as const;

export function PlaceholderPage({ section }: { section: keyof typeof SECTIONS }) {
  const { title, text } = SECTIONS[section];
  return (
    <section data-testid={`page-${section}`}>
      <PageHeader title={title} />
      <div className="card">
        <p>{text}</p>
        <p className="muted">This section is coming soon.</p>
      </div>
    </section>
  );
}
