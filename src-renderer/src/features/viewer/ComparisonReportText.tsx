/** A prior's signed report as the Priors pane and the comparison viewport show it: the title, then each section. */

/** The prior's signed report, shown beside its images. */
export interface ComparisonReport {
  title: string;
  sections: Array<{ heading: string; text: string }>;
}

export function ComparisonReportText({ report }: { report: ComparisonReport }) {
  return (
    <>
      <p className="muted">{report.title}</p>
      {report.sections.map((s) => (
        <p key={`${s.heading}:${s.text.slice(0, 20)}`}>
          <strong>{s.heading}: </strong>
          {s.text}
        </p>
      ))}
    </>
  );
}
