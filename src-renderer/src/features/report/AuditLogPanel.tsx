/**
 * The report's audit log (reports.audit): every entry of the study, newest first, with the actor and the account
 * signed in when it was written (issue 18.1: every edit, sign and addendum names the account).
 */
import { HeadedTable } from "../../app/HeadedTable";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useAsync } from "../../app/useAsync";
import { useCommands } from "../../commands/CommandRegistry";
import { useClient } from "../../ipc/ClientContext";

export function AuditLogPanel({ studyId, onClose }: { studyId: string; onClose: () => void }) {
  const client = useClient();
  useCommands({ "overlay.close": onClose });
  const audit = useAsync(() => client.reports.audit({ studyId }), [client, studyId]);
  return (
    <OverlayPanel title="Audit log" closeLabel="Close the audit log" onClose={onClose} className="audit-panel">
      {audit.status === "loading" && <p className="hint">Loading…</p>}
      {audit.status === "error" && <p className="error-text">Could not read the audit log: {audit.error}</p>}
      {audit.status === "ok" && audit.value.length === 0 && <p className="hint">Nothing recorded yet.</p>}
      {audit.status === "ok" && audit.value.length > 0 && (
        <HeadedTable className="audit-table" data-testid="audit-log" columns={["When", "What", "By", "Account"]}>
          {[...audit.value].reverse().map((e) => (
            <tr key={e.id} data-action={e.action}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>{e.action}</td>
              <td>{e.actor}</td>
              <td>{e.account ? `${e.account.name} (#${e.account.id})` : "—"}</td>
            </tr>
          ))}
        </HeadedTable>
      )}
    </OverlayPanel>
  );
}
