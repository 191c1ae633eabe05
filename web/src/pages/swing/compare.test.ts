import { describe, expect, it } from "vitest";
import { referenceFrame } from "./ComparePage";

describe("referenceFrame", () => {
  const map: [number, number][] = [[10, 20], [11, 22], [12, 22], [14, 23], [15, 30]];
  it("follows the alignment inside the swing", () => {
    expect(referenceFrame(map, 11)).toBe(22);
    expect(referenceFrame(map, 13)).toBe(22); // between entries: the last one reached
    expect(referenceFrame(map, 14)).toBe(23);
  });
  it("keeps the frame offsets before address and after finish", () => {
    expect(referenceFrame(map, 7)).toBe(17);
    expect(referenceFrame(map, 18)).toBe(33);
    expect(referenceFrame([[5, 2]], 0)).toBe(0);
  });
});
