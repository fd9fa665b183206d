/// <reference lib="dom" />
import { expect, type Locator, type Page } from "@playwright/test";

/**
 * Opens a worklist row's study and waits on what the page says it shows, never on timing: the viewer carries the
 * open study's id and the image strip the id of the study whose images it lists. Returns that strip.
 */
export async function openStudy(page: Page, row: Locator): Promise<{ studyId: string; strip: Locator }> {
  const studyId = await row.getAttribute("data-study-id");
  if (!studyId) throw new Error("the worklist row carries no data-study-id");
  await row.click();
  await expect(row).toHaveAttribute("aria-current", "true");
  await expect(page.locator(".viewer-area")).toHaveAttribute("data-study-id", studyId);
  const strip = page.locator(`.image-strip[data-study-id="${studyId}"]`);
  await expect(strip.locator(".strip-image").first()).toBeVisible({ timeout: 60_000 });
  return { studyId, strip };
}

/** The file names the image strip lists, in its order. */
export function stripFileNames(strip: Locator): Promise<string[]> {
  return strip.locator(".strip-image").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.fileName ?? ""));
}

/** The page's console errors from now on, as they arrive (a test expects the list empty at its end). */
export function consoleErrorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return errors;
}

/**
 * Imports files or folders through the Import panel (opened if needed) and returns the result line; `oneStudy`
 * ticks the panel's "one study" box (loose images grouped by the user).
 */
export async function importPaths(page: Page, paths: string[], oneStudy = false): Promise<string> {
  const panel = page.getByRole("region", { name: "Import studies" });
  if (!(await panel.isVisible())) await page.getByRole("button", { name: "Import", exact: true }).first().click();
  await panel.locator("#import-paths").fill(paths.join("\n"));
  await panel.getByRole("checkbox").setChecked(oneStudy);
  await panel.getByRole("button", { name: "Import", exact: true }).click();
  const result = panel.getByTestId("import-result");
  await expect(result).toBeVisible({ timeout: 120_000 });
  return (await result.textContent()) ?? "";
}

/** Grey-level spread over the canvas inside `viewport` (a viewport, the magnifier): a displayed radiograph is far from flat. */
export async function displayedSpread(
  viewport: Locator,
): Promise<{ mean: number; std: number; distinct: number; width: number }> {
  return viewport.evaluate(async (section: HTMLElement) => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const canvas = section.querySelector("canvas") as HTMLCanvasElement;
    const data = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(
      0,
      0,
      canvas.width,
      canvas.height,
    ).data;
    let sum = 0;
    let sq = 0;
    let n = 0;
    const values = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 97) {
      const g = 0.299 * (data[i] as number) + 0.587 * (data[i + 1] as number) + 0.114 * (data[i + 2] as number);
      sum += g;
      sq += g * g;
      n++;
      values.add(Math.round(g));
    }
    const mean = sum / n;
    return { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), distinct: values.size, width: canvas.width };
  });
}
