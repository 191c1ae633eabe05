import { describe, expect, it } from "vitest";
import { filenameFromDisposition } from "./download";
import { passwordProblem } from "./password";
import { canWrite, isOwner, ROLES } from "./roles";

describe("filenameFromDisposition", () => {
  it("reads quoted, bare and RFC 5987 names", () => {
    expect(filenameFromDisposition('attachment; filename="sideline-export-demo-20261123-101500.zip"')).toBe(
      "sideline-export-demo-20261123-101500.zip",
    );
    expect(filenameFromDisposition("attachment; filename=plain.zip")).toBe("plain.zip");
    expect(filenameFromDisposition("attachment; filename=\"a.zip\"; filename*=UTF-8''caf%C3%A9.zip")).toBe("café.zip");
    expect(filenameFromDisposition('attachment; filename="say \\"hi\\".txt"')).toBe('say "hi".txt');
  });

  it("drops folders and handles missing names", () => {
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe("passwd");
    expect(filenameFromDisposition("attachment")).toBeNull();
    expect(filenameFromDisposition(null)).toBeNull();
  });
});

describe("passwordProblem", () => {
  it("wants 8 characters and a matching repeat", () => {
    expect(passwordProblem("short")).toMatch(/at least 8/);
    expect(passwordProblem("long enough")).toBeNull();
    expect(passwordProblem("long enough", "long enougH")).toMatch(/do not match/);
    expect(passwordProblem("long enough", "long enough")).toBeNull();
  });
});

describe("roles", () => {
  it("follows the server's access levels", () => {
    expect(ROLES.filter(canWrite)).toEqual(["owner", "coach", "analyst"]);
    expect(ROLES.filter(isOwner)).toEqual(["owner"]);
    expect(canWrite(null)).toBe(false);
  });
});
