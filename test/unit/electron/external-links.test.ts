import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkExternalUrl,
  EXTERNAL_LINKS_FILE,
  loadExternalLinkPolicy,
  NO_EXTERNAL_LINKS,
  parseExternalLinkPolicy,
} from "../../../src-main/electron/external-links";

describe("external links allow-list", () => {
  it("opens nothing by default", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-links-"));
    const { policy, problem } = loadExternalLinkPolicy(dataDir);
    expect(problem).toBeNull();
    expect(policy.allowedOrigins.size).toBe(0);
    for (const url of ["https://radiopaedia.org/articles/x", "https://example.org", "http://example.org"]) {
      expect(checkExternalUrl(url, policy).allowed).toBe(false);
    }
  });

  it("opens https links whose origin is listed, and nothing else", () => {
    const policy = parseExternalLinkPolicy(
      JSON.stringify({ allowedOrigins: ["https://radiopaedia.org", "https://PACS.hospital.example:8443/"] }),
      "external-links.json",
    );
    expect([...policy.allowedOrigins]).toEqual(["https://radiopaedia.org", "https://pacs.hospital.example:8443"]);
    const allowed = (url: string) => checkExternalUrl(url, policy).allowed;
    expect(allowed("https://radiopaedia.org/articles/pneumothorax?lang=us#x")).toBe(true);
    expect(allowed("https://pacs.hospital.example:8443/viewer")).toBe(true);
    expect(allowed("https://pacs.hospital.example/viewer")).toBe(false); // other port
    expect(allowed("http://radiopaedia.org/")).toBe(false); // not https
    expect(allowed("https://radiopaedia.org.evil.example/")).toBe(false);
    expect(allowed("https://evil.example/?https://radiopaedia.org")).toBe(false);
    expect(allowed("https://user:pw@radiopaedia.org/")).toBe(false);
    expect(allowed("file:///etc/passwd")).toBe(false);
    expect(allowed("javascript:alert(1)")).toBe(false);
    expect(allowed("smb://share/x")).toBe(false);
    expect(allowed("not a url")).toBe(false);
    expect(checkExternalUrl("https://evil.example/", policy)).toEqual({
      allowed: false,
      reason: `https://evil.example is not on the allow-list (${EXTERNAL_LINKS_FILE})`,
    });
  });

  it("refuses a bad allow-list file naming the file and the entry, and then allows nothing", () => {
    for (const entry of ["http://example.org", "https://*.example.org", "https://example.org/path", "example.org"]) {
      expect(() => parseExternalLinkPolicy(JSON.stringify({ allowedOrigins: [entry] }), "f.json")).toThrow(
        /f\.json is not a valid allow-list: allowedOrigins\.0: must be an https origin/,
      );
    }
    expect(() => parseExternalLinkPolicy("{", "f.json")).toThrow(/f\.json is not JSON/);
    expect(() => parseExternalLinkPolicy('{"allowedOrigins": [], "more": 1}', "f.json")).toThrow(/not a valid/);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-links-"));
    fs.writeFileSync(path.join(dataDir, EXTERNAL_LINKS_FILE), '{"allowedOrigins": ["https://ok.example", "ftp://x"]}');
    const loaded = loadExternalLinkPolicy(dataDir);
    expect(loaded.policy).toBe(NO_EXTERNAL_LINKS);
    expect(loaded.problem).toContain(path.join(dataDir, EXTERNAL_LINKS_FILE));
    expect(loaded.problem).toContain("no external link will open");
  });
});
