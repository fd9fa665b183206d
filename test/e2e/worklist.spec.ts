/// <reference lib="dom" />
/**
 * A worklist a radiologist can drive (issue 18.6), in Chromium through the loopback harness, on the real DICOM files
 * of ../shared/data/dicom imported by the real import service: the columns (patient, ID, accession, date, modality,
 * description, status, priority), sorting by column header (mouse and keyboard), the date range, the search box's
 * keys (Down/Up move, Enter opens, Escape clears then leaves), Escape closing every overlay, Tab kept inside modal
 * dialogs; and two tabs on one draft: the stale tab is told, offered the newer text, never overwritten silently.
 * The drafting engine is the FIXED-REPORT TEST DOUBLE (test/support). Screenshot: test-results/worklist-*.png.
 */
import { expect, type Page, test } from "@playwright/test";
import { FixedReportTestEngine } from "../support/fixed-report-test-engine";
import { servicesPerTest, shotPath } from "../support/in-process-harness";
import { SHARED_DICOM_DIR } from "../support/report-fixtures";

const run = servicesPerTest();

async function start(): Promise<string> {
  const services = run.services("worklist", {
    draftEngine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }),
  });
  const result = await services.importer.importPaths([SHARED_DICOM_DIR], { jobId: "e2e" });
  expect(result.failures).toEqual([]);
  return (await run.serve()).url;
}

const rows = (page: Page) => page.getByRole("list", { name: "Studies", exact: true }).locator(".worklist-row");
const patients = async (page: Page) => rows(page).locator(".patient").allTextContents();
/**
 * Holds the page's autosaves (reports.save) until the returned function is called; then they pass (the newest route
 * handles a request first, so a later hold takes over).
 */
async function holdSaves(page: Page): Promise<() => void> {
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  const isSave = (u: URL) => u.pathname.includes("reports.save");
  await page.route(isSave, async (route) => {
    await held;
    await route.continue();
  });
  return () => release();
}

const inDialog = (page: Page) => page.evaluate(() => document.activeElement?.closest('[role="dialog"]') != null);

test("columns, sorting, date search, search-box keys, Escape on every overlay, focus kept in dialogs", async ({
  page,
}) => {
  await page.goto(await start());
  await expect(rows(page)).toHaveCount(4);

  // Columns: RG1's accession, date, modality and description from its file.
  const rg1 = rows(page).filter({ hasText: "RG1" });
  await expect(rg1.locator('[data-column="id"]')).toHaveText("ID 9RG1");
  await expect(rg1.locator('[data-column="accession"]')).toHaveText("Acc exam Number");
  await expect(rg1.locator('[data-column="date"]')).toHaveText("2004-08-26");
  await expect(rg1.locator('[data-column="modality"]')).toHaveText("CR");
  await expect(rg1.locator('[data-column="description"]')).toHaveText("THORAX");
  await expect(rg1.locator('[data-column="status"]')).toHaveText("new");
  for (const label of ["Patient", "ID", "Accession", "Date", "Modality", "Description", "Status", "Priority"]) {
    await expect(page.getByRole("button", { name: new RegExp(`^Sort by ${label}`) })).toBeVisible();
  }

  // Sorting by clicking a header, again for the other direction; by keyboard (Enter on a focused header).
  const byPatient = page.getByRole("button", { name: /^Sort by Patient/ });
  await byPatient.click();
  const asc = await patients(page);
  expect(asc).toEqual([...asc].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  await expect(byPatient).toHaveAttribute("aria-pressed", "true");
  await byPatient.click();
  expect(await patients(page)).toEqual([...asc].reverse());
  const byDate = page.getByRole("button", { name: /^Sort by Date/ });
  await byDate.focus();
  await page.keyboard.press("Enter");
  await expect(byDate).toHaveAccessibleName("Sort by Date, descending");
  const dates = await rows(page).locator('[data-column="date"]').allTextContents();
  const dated = dates.filter((d) => d !== "no date");
  expect(dated).toEqual([...dated].sort().reverse());
  console.log(`worklist by date, newest first: ${dates.join(", ")}`);
  await page.screenshot({ path: shotPath("worklist-columns.png") });

  // Date search: a one-day range finds RG1 only; multi-word search still works beside it.
  await page.getByLabel("Study date from").fill("2004-08-26");
  await page.getByLabel("Study date to").fill("2004-08-26");
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText("RG1");
  await page.getByLabel("Study date from").fill("");
  await page.getByLabel("Study date to").fill("");
  await expect(rows(page)).toHaveCount(4);

  // The search box: Down/Up move a cursor over the rows, Enter opens, Escape clears, then leaves the box.
  const search = page.getByRole("searchbox", { name: "Search studies" });
  await search.click();
  await page.keyboard.press("ArrowDown");
  await expect(rows(page).nth(0)).toHaveAttribute("data-cursor", "true");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  await expect(rows(page).nth(1)).toHaveAttribute("data-cursor", "true");
  const second = await rows(page).nth(1).getAttribute("data-study-id");
  await page.keyboard.press("Enter");
  await expect(page.locator(`.worklist-row[data-study-id="${second}"]`)).toHaveAttribute("aria-current", "true");
  await search.fill("compressed rg1");
  await expect(rows(page)).toHaveCount(1);
  await page.keyboard.press("Enter");
  await expect(rows(page).first()).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("Escape");
  await expect(search).toHaveValue("");
  await expect(rows(page)).toHaveCount(4);
  await expect(search).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(search).not.toBeFocused();

  // Escape closes every overlay; Tab and Shift+Tab stay inside a modal dialog.
  const overlays: Array<[string, string]> = [
    ["?", "Keyboard shortcuts"],
    ["Control+,", "Settings"],
    ["Control+Shift+O", "PACS studies"],
  ];
  for (const [key, name] of overlays) {
    await page.locator("body").click({ position: { x: 5, y: 995 } });
    await page.keyboard.press(key);
    const dialog = page.getByRole("dialog", { name });
    await expect(dialog).toBeVisible();
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press("Tab");
      expect(await inDialog(page), `${name}: Tab ${i + 1} left the dialog`).toBe(true);
    }
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("Shift+Tab");
      expect(await inDialog(page), `${name}: Shift+Tab left the dialog`).toBe(true);
    }
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
  }
  await page.keyboard.press("Control+o");
  await expect(page.getByRole("region", { name: "Import studies" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("region", { name: "Import studies" })).toHaveCount(0);
});

test("two tabs on one draft: the other tab's write is announced, never overwritten silently", async ({ context }) => {
  const url = await start();
  const a = await context.newPage();
  const b = await context.newPage();
  for (const p of [a, b]) {
    await p.goto(url);
    await rows(p).filter({ hasText: "RG1" }).click();
    await expect(p.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible();
  }
  const findingsA = a.getByTestId("report-findings");
  const findingsB = b.getByTestId("report-findings");

  // A writes; B has nothing unsaved and takes the newer text on its own.
  await findingsA.fill("Tab A first text.");
  await expect(a.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  await expect(findingsB).toHaveValue("Tab A first text.");

  /** B's autosave is held back while A writes and saves: B's write then arrives stale. */
  const writeWhileHeld = async (textB: string, textA: string) => {
    const release = await holdSaves(b);
    await findingsB.fill(textB);
    await expect(b.locator("[data-testid=save-state][data-status=saving]")).toBeVisible();
    await findingsA.fill(textA);
    await expect(a.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
    release();
  };

  // B's write is stale and refused; B is told.
  await writeWhileHeld("Tab B text.", "Tab A second text.");
  const notice = b.getByTestId("draft-conflict");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("The draft changed elsewhere");
  await b.screenshot({ path: shotPath("worklist-draft-conflict.png") });
  expect(
    run.current().reports.state((await rows(a).filter({ hasText: "RG1" }).getAttribute("data-study-id"))!).draft!
      .sections.findings,
  ).toBe("Tab A second text.");

  // "Load newer": B shows A's text, nothing written.
  await b.getByRole("button", { name: "Load newer" }).click();
  await expect(notice).toBeHidden();
  await expect(findingsB).toHaveValue("Tab A second text.");

  // Once more, and B keeps its text as a new revision: A's text stays in the history, A is shown B's.
  await writeWhileHeld("Tab B keeps this.", "Tab A third text.");
  await expect(notice).toBeVisible();
  await b.getByRole("button", { name: "Keep mine as new revision" }).click();
  await expect(notice).toBeHidden();
  await expect(b.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  await expect(findingsA).toHaveValue("Tab B keeps this.");
  const studyId = (await rows(a).filter({ hasText: "RG1" }).getAttribute("data-study-id"))!;
  const history = run
    .current()
    .reports.versions(studyId)
    .map((v) => v.sections.findings);
  console.log(`draft history after the conflict: ${JSON.stringify(history.slice(0, 3))}`);
  expect(history[0]).toBe("Tab B keeps this.");
  expect(history).toContain("Tab A third text.");
});
