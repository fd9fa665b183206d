/** A table with one header row of column headings (audit log, tag browser, PACS results); the rows are the children. */
import type { HTMLAttributes, ReactNode } from "react";

export function HeadedTable({
  columns,
  children,
  ...attrs
}: {
  /** The headings, in order; each must differ ("" for one unnamed column). */
  columns: readonly string[];
  children: ReactNode;
} & Pick<HTMLAttributes<HTMLTableElement>, "className" | "aria-label"> & { "data-testid"?: string }) {
  return (
    <table {...attrs}>
      <thead>
        <tr>
          {columns.map((heading) => (
            <th key={heading}>{heading}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
