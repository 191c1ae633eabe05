import { describe, expect, it } from "vitest";
import { strokeSummary } from "./api";

describe("strokeSummary", () => {
  it("names the stroke types present, singular or plural", () => {
    expect(strokeSummary({ forehand: 2, backhand: 0, serve: 1, volley: 0 })).toBe("2 forehands, 1 serve");
  });
  it("says so when there is none", () => {
    expect(strokeSummary({ forehand: 0 })).toBe("no strokes");
    expect(strokeSummary(null)).toBe("no strokes");
  });
});
