import { describe, expect, it } from "vitest";
import { LANDMARKS, PITCH_LENGTH, PITCH_WIDTH } from "./pitchTemplate";

describe("pitch template", () => {
  it("has unique ids and points, all on the pitch", () => {
    expect(new Set(LANDMARKS.map((l) => l.id)).size).toBe(LANDMARKS.length);
    expect(new Set(LANDMARKS.map((l) => `${l.x},${l.y}`)).size).toBe(LANDMARKS.length);
    for (const l of LANDMARKS) {
      expect(Math.abs(l.x)).toBeLessThanOrEqual(PITCH_LENGTH / 2);
      expect(Math.abs(l.y)).toBeLessThanOrEqual(PITCH_WIDTH / 2);
    }
  });

  it("places the markings where the laws of the game put them", () => {
    const at = (id: string) => LANDMARKS.find((l) => l.id === id)!;
    expect(at("Corner-right-top")).toMatchObject({ x: 52.5, y: 34 });
    expect(at("Penalty spot-left-top")).toMatchObject({ x: -41.5, y: 0 });
    expect(at("Penalty area corner-right-bottom")).toMatchObject({ x: 36, y: -20.16 });
    expect(at("Centre spot-left-top")).toMatchObject({ x: 0, y: 0 });
    expect(at("Penalty arc × penalty area line-right-bottom")).toMatchObject({ x: 36, y: -7.31 });
    // 4 corners, 2 halfway ends, centre spot, 2 circle points, 2 penalty spots, 4 x 4 box points, 4 arc ends.
    expect(LANDMARKS.length).toBe(4 + 2 + 1 + 2 + 2 + 16 + 4);
  });
});
