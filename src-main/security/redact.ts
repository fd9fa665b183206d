/**
 * Error messages that leave the main process (tRPC error shapes, the harness's HTTP errors, the Electron image
 * protocol) never carry an absolute path: each is cut to its last component ("…/cases.sqlite"). The full message
 * and the stack go to the server log instead.
 */

const STOP = String.raw`\s"'\`()<>\[\]{},;|`;
/** file:///a/b/c.txt and file://host/share/x */
const FILE_URL = new RegExp(String.raw`file:\/\/[^${STOP}]*?([^${STOP}\/\\]*)(?=[${STOP}]|$)`, "gi");
/** /a/b/c (at least one folder), preceded by the start, a space or punctuation, never by a word character. */
const POSIX_PATH = new RegExp(String.raw`(^|[${STOP}=:])\/(?:[^${STOP}\/:]+\/)+([^${STOP}\/:]*)`, "g");
/** C:\a\b or C:/a/b, and \\server\share\x */
const WINDOWS_PATH = new RegExp(
  String.raw`(^|[${STOP}=])(?:[A-Za-z]:[\\\/]|\\\\)(?:[^${STOP}\\\/:]+[\\\/])+([^${STOP}\\\/:]*)`,
  "g",
);

export function redactPaths(text: string): string {
  return text
    .replace(FILE_URL, (_m, base: string) => `file:…/${base}`)
    .replace(WINDOWS_PATH, (_m, lead: string, base: string) => `${lead}…\\${base}`)
    .replace(POSIX_PATH, (_m, lead: string, base: string) => `${lead}…/${base}`);
}

/** Whether a text still holds something that looks like an absolute path (used by the tests and the fuzzer). */
export function containsAbsolutePath(text: string): boolean {
  return (
    /file:\/\/(?!…)/i.test(text) ||
    new RegExp(POSIX_PATH.source).test(text) ||
    new RegExp(WINDOWS_PATH.source).test(text)
  );
}
