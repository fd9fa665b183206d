import { describe, expect, it } from "vitest";
import { containsAbsolutePath, redactPaths } from "../../../src-main/security/redact";

describe("redactPaths", () => {
  const cases: Array<[string, string]> = [
    [
      "cannot open case database /home/u/.config/Radiology Draft/cases.sqlite: SQLITE_CANTOPEN",
      "cannot open case database …/Radiology Draft/cases.sqlite: SQLITE_CANTOPEN",
    ],
    ["image file /tmp/x/y/0.png changed since it was imported", "image file …/0.png changed since it was imported"],
    [
      "ENOENT: no such file or directory, open '/srv/app/models/manifest.json'",
      "ENOENT: no such file or directory, open '…/manifest.json'",
    ],
    ["at file:///srv/app/src-main/x.ts:10:5", "at file:…/x.ts:10:5"],
    ["C:\\Users\\me\\AppData\\Roaming\\pack\\cases.sqlite is locked", "…\\cases.sqlite is locked"],
    ["\\\\server\\share\\dicom\\a.dcm unreadable", "…\\a.dcm unreadable"],
    ['No "query"-procedure on path "/etc/passwd"', 'No "query"-procedure on path "…/passwd"'],
  ];
  for (const [input, output] of cases) {
    it(`cuts ${JSON.stringify(input.slice(0, 40))} to the last component`, () => {
      expect(redactPaths(input)).toBe(output);
      expect(containsAbsolutePath(input)).toBe(true);
      expect(containsAbsolutePath(redactPaths(input))).toBe(false);
    });
  }

  it("leaves texts without paths alone", () => {
    for (const text of [
      "invalid input for app.ping: message: expected string, received number",
      "ratio 1/2 and/or 3/4",
      "the data folder is busy; try again",
      "no image with id img-123",
    ]) {
      expect(redactPaths(text)).toBe(text);
      expect(containsAbsolutePath(text)).toBe(false);
    }
  });
});
