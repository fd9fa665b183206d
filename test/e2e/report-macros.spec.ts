/// <reference lib="dom" />
/**
 * Templates and macros (issue 18.4) in Chromium through the loopback harness, as the signed-in account Ada: the
 * normal chest template inserted by name from the search box (Ctrl+Shift+M), Tab / Shift+Tab through its slots,
 * pick-lists chosen with the keys and the mouse, signing refused while a slot is unfilled (the cursor on it), a macro
 * created with its own hotkey (a command's key refused), exported to JSON, deleted, imported again (a bad file
 * refused with what is wrong), and inserted by its hotkey. Screenshot: test-results/report-macros.png.
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createAda, focusedSelection, servicesPerTest, shotPath } from "../support/in-process-harness";
import { dicomStudy, insertStudy } from "../support/report-fixtures";

const run = servicesPerTest();

const selection = focusedSelection;

const FINDINGS_SLOT = {
  heart: "[normal|mildly enlarged]",
  mediastinum: "[normal|unremarkable]",
  lungs: "[bilaterally|without focal consolidation]",
  bones: "[No acute osseous abnormality|Degenerative changes of the thoracic spine]",
};
const IMPRESSION_SLOT = "[No acute cardiopulmonary abnormality|Normal chest radiograph]";
const EFFUSION = "Small [left|right] pleural effusion measuring [___] cm.";

test("normal chest template by search, Tab through its slots, pick-lists, signing refused; a macro made, exported, imported, used by hotkey", async ({
  page,
}) => {
  const services = run.services("macros");
  const dataDir = run.dataDir();
  const harness = await run.serve();
  insertStudy(services.db, { ...dicomStudy("study-m"), patientName: "Roe^Max", patientId: "P-0101" });
  const ada = await createAda(services);
  await page.goto(harness.url);
  await page.getByRole("complementary", { name: "Worklist" }).getByRole("button", { name: /Roe/ }).click();
  const findings = page.getByTestId("report-findings");
  const impression = page.getByTestId("report-impression");
  await expect(findings).toBeEditable();
  await findings.focus();

  // Ctrl+Shift+M: the search box; "norm" finds the built-in template, Enter inserts it.
  await page.keyboard.press("Control+Shift+M");
  const picker = page.getByRole("dialog", { name: "Insert a macro" });
  await expect(picker).toBeVisible();
  await page.getByRole("combobox", { name: "Search macros" }).fill("norm");
  await expect(picker.getByRole("option")).toHaveCount(1);
  await expect(picker.getByRole("option", { selected: true })).toContainText("Normal chest");
  await page.keyboard.press("Enter");
  await expect(picker).toHaveCount(0);
  await expect(findings).toHaveValue(
    `The heart is ${FINDINGS_SLOT.heart} in size. The mediastinal contours are ${FINDINGS_SLOT.mediastinum}. The lungs are clear ${FINDINGS_SLOT.lungs}. There is no pleural effusion or pneumothorax. ${FINDINGS_SLOT.bones}.`,
  );
  await expect(impression).toHaveValue(`${IMPRESSION_SLOT}.`);

  // The cursor is on the first slot, and its pick-list chooser is open.
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: FINDINGS_SLOT.heart });
  const chooser = page.getByTestId("slot-chooser");
  await expect(chooser.getByRole("option")).toHaveText(["1 normal", "2 mildly enlarged"]);
  // Tab to the next slot and Shift+Tab back.
  await page.keyboard.press("Tab");
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: FINDINGS_SLOT.mediastinum });
  await page.keyboard.press("Shift+Tab");
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: FINDINGS_SLOT.heart });
  // ↓ and Enter choose "mildly enlarged"; a digit chooses; a click chooses.
  await page.keyboard.press("ArrowDown");
  await expect(chooser.getByRole("option", { selected: true })).toHaveText("2 mildly enlarged");
  await page.keyboard.press("Enter");
  await expect(findings).toHaveValue(/^The heart is mildly enlarged in size\. /);
  await expect(chooser).toHaveCount(0);
  await page.keyboard.press("Tab");
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: FINDINGS_SLOT.mediastinum });
  await page.keyboard.press("1");
  await expect(findings).toHaveValue(/The mediastinal contours are normal\. /);
  await page.keyboard.press("Tab");
  expect((await selection(page)).selected).toBe(FINDINGS_SLOT.lungs);
  await chooser.getByRole("option", { name: /without focal consolidation/ }).click();
  await expect(findings).toHaveValue(/The lungs are clear without focal consolidation\. /);

  // Two pick-lists left unfilled: signing is refused, naming the first, with the cursor on it.
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  const issues = page.getByTestId("sign-off-issue");
  await expect(issues).toHaveCount(2);
  await expect(issues.first()).toContainText(
    `Findings: the pick-list ${FINDINGS_SLOT.bones} in "${FINDINGS_SLOT.bones}." is not filled in; replace it with "No acute osseous abnormality" or "Degenerative changes of the thoracic spine"`,
  );
  await expect(issues.nth(1)).toContainText(`Impression: the pick-list ${IMPRESSION_SLOT}`);
  await expect(page.getByRole("dialog")).toHaveCount(0);
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: FINDINGS_SLOT.bones });
  await page.keyboard.press("1");
  await impression.focus();
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("Tab");
  expect(await selection(page)).toEqual({ testId: "report-impression", selected: IMPRESSION_SLOT });
  await page.keyboard.press("Enter");
  await expect(impression).toHaveValue("No acute cardiopulmonary abnormality.");
  // Filled: signing goes on to the password.
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(issues).toHaveCount(0);
  await expect(page.getByLabel("Password or PIN")).toBeVisible();
  await page.getByRole("button", { name: "Cancel" }).click();

  // The manager from the search box: a new macro with its own hotkey; a command's key is refused.
  await findings.focus();
  await page.keyboard.press("Control+Shift+M");
  await page.getByRole("button", { name: "Manage macros…" }).click();
  const manager = page.getByRole("dialog", { name: "Macros" });
  await expect(manager.getByTestId("macro-owner")).toHaveText("Macros of Dr. Ada Reviewer (ada)");
  await manager.getByRole("button", { name: "New macro" }).click();
  await manager.getByLabel("Macro name").fill("Effusion");
  await manager.getByLabel("Macro text").fill(EFFUSION);
  await expect(manager.getByTestId("macro-slot-count")).toHaveText("1 pick-list(s), 1 blank(s).");
  await manager.getByLabel("Macro hotkey").focus();
  await page.keyboard.press("Control+Shift+S");
  await expect(manager.getByRole("alert")).toHaveText("Ctrl+Shift+S is the key of “Sign the report”; choose another");
  await page.keyboard.press("Alt+Shift+E");
  await expect(manager.getByLabel("Macro hotkey")).toHaveValue("Alt+Shift+E");
  await manager.getByRole("button", { name: "Create macro" }).click();
  await expect(manager.getByRole("status")).toHaveText("Saved “Effusion”.");
  expect(services.db.prepare("SELECT account_id, name, hotkey FROM macros").all()).toEqual([
    { account_id: ada.id, name: "Effusion", hotkey: "Alt+Shift+e" },
  ]);

  // Export JSON, delete, import a bad file (refused, naming the problem), then the export again.
  const downloading = page.waitForEvent("download");
  await manager.getByRole("button", { name: "Export JSON" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("macros-ada.json");
  const exported = path.join(dataDir, "macros-ada.json");
  await download.saveAs(exported);
  const file = JSON.parse(fs.readFileSync(exported, "utf8"));
  expect(file).toMatchObject({ format: "radiology-draft/macros", version: 1, exportedBy: "ada" });
  expect(file.macros).toEqual([{ name: "Effusion", text: EFFUSION, hotkey: "Alt+Shift+e" }]);
  await expect(manager.getByRole("status")).toHaveText("Exported 1 macro to macros-ada.json.");
  await manager.getByRole("button", { name: /^Effusion/ }).click();
  await manager.getByRole("button", { name: "Delete", exact: true }).click();
  await manager.getByRole("button", { name: "Delete “Effusion” for good" }).click();
  await expect(manager.getByRole("status")).toHaveText("Deleted “Effusion”.");
  await expect(manager.getByRole("button", { name: /^Effusion/ })).toHaveCount(0);
  const importInput = manager.getByLabel("Import macros from a JSON file");
  await importInput.setInputFiles({
    name: "bad.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify({ ...file, macros: [{ name: "Effusion", text: EFFUSION, hotkey: "e" }] })),
  });
  await expect(manager.getByRole("alert")).toHaveText(
    "bad.json not imported: macros file refused: macros.1.hotkey: a hotkey is Ctrl or Alt (optionally with Shift) and one key, e.g. Alt+Shift+n",
  );
  await importInput.setInputFiles(exported);
  await expect(manager.getByRole("status")).toHaveText("Imported macros-ada.json: 1 added, 0 replaced.");
  await expect(manager.getByRole("button", { name: /^Effusion/ })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(manager).toHaveCount(0);
  // Ctrl+Alt+M opens the manager directly; the built-in template is read-only there.
  await page.keyboard.press("Control+Alt+M");
  await manager.getByRole("button", { name: /^Normal chest/ }).click();
  await expect(manager).toContainText(
    "Normal chest is a built-in template: every account has it; it cannot be changed.",
  );
  await expect(manager.getByLabel("Macro text")).toHaveCount(0);
  await manager.getByRole("button", { name: /^Effusion/ }).click();
  await expect(manager.getByLabel("Macro text")).toHaveValue(EFFUSION);
  await page.screenshot({ path: shotPath("report-macros-manager.png") });
  await page.keyboard.press("Escape");
  await expect(manager).toHaveCount(0);

  // The macro's hotkey inserts it at the cursor (end of Findings), its first slot selected with its chooser.
  await findings.focus();
  await page.keyboard.press("Control+End");
  await page.keyboard.press("Alt+Shift+E");
  await expect(findings).toHaveValue(/abnormality\. Small \[left\|right\] pleural effusion measuring \[___\] cm\.$/);
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: "[left|right]" });
  await expect(chooser.getByRole("option")).toHaveText(["1 left", "2 right"]);
  await page.screenshot({ path: shotPath("report-macros.png") });
  await page.keyboard.press("2");
  await page.keyboard.press("Tab");
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: "[___]" });
  await page.keyboard.type("2.5");
  await expect(findings).toHaveValue(/Small right pleural effusion measuring 2\.5 cm\.$/);

  // The help overlay lists the macro commands with their keys.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press("F1");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help.locator('[data-command="report.macros"]')).toContainText("Ctrl+Shift+M");
  await expect(help.locator('[data-command="report.nextSlot"]')).toContainText("Tab");

  // Everything went through the account's draft: the autosaved text holds the filled template and the macro.
  await expect(page.getByTestId("save-state")).toHaveAttribute("data-status", "saved");
  const saved = services.reports.state("study-m").draft?.sections;
  expect(saved?.findings).toContain("The heart is mildly enlarged in size.");
  expect(saved?.impression).toBe("No acute cardiopulmonary abnormality.");
});
