import { describe, expect, it } from "vitest";
import { feetAndInches, formatLength, formatSpeed, fromFeetAndInches, speedIn, speedUnit } from "./units";

describe("units", () => {
  it("converts speeds: 1 mph is 0.44704 m/s exactly", () => {
    expect(speedIn(0.44704, "imperial")).toBeCloseTo(1, 12);
    expect(speedIn(10, "imperial")).toBeCloseTo(22.369363, 5);
    expect(speedIn(10, "metric")).toBe(10);
    expect(speedUnit("imperial")).toBe("mph");
    expect(formatSpeed(26.8224, "imperial")).toBe("60.0 mph");
    expect(formatSpeed(4.25, "metric", 2)).toBe("4.25 m/s");
    expect(formatSpeed(null, "imperial")).toBe("—");
  });

  it("converts heights to feet and inches and back", () => {
    expect(feetAndInches(1.8)).toEqual({ feet: 5, inches: 11 }); // 70.87 in
    expect(feetAndInches(1.8288)).toEqual({ feet: 6, inches: 0 }); // 72 in exactly
    expect(feetAndInches(1.5113)).toEqual({ feet: 5, inches: 0 }); // 59.5 in rounds up to 60
    expect(fromFeetAndInches(6, 0)).toBeCloseTo(1.8288, 12);
    expect(fromFeetAndInches(5, 11)).toBeCloseTo(71 * 0.0254, 12);
    expect(formatLength(1.8, "imperial")).toBe("5 ft 11 in");
    expect(formatLength(0.3048, "imperial")).toBe("1 ft 0 in");
    expect(formatLength(0.1, "imperial")).toBe("4 in");
    expect(formatLength(1.8, "metric")).toBe("1.80 m");
    expect(formatLength(0.45, "metric")).toBe("45 cm");
    expect(formatLength(Number.NaN, "metric")).toBe("—");
  });
});
