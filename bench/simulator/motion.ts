/**
 * Plausible movement for a simulated vehicle, deterministic from a seed: each device drives round
 * its own closed loop (an ellipse a few km across near a home point), so positions change every
 * record, speed and course follow the path, and the odometer only grows.
 */

/** One position sample; speed and course are integers, as trackers send them. */
export interface Fix {
  latitude: number;
  longitude: number;
  /** km/h, 10..99 (two digits: Wialon templates patch it in place). */
  speed: number;
  /** degrees, 0..359. */
  course: number;
  /** metres, 100..999. */
  altitude: number;
  /** 10..19. */
  satellites: number;
  /** metres driven since the simulation started. */
  odometer: number;
}

const KM_PER_DEG_LAT = 111.32;

export class VehiclePath {
  private readonly homeLat: number;
  private readonly homeLon: number;
  private readonly radiusKm: number;
  private readonly phase0: number;
  private readonly baseSpeed: number;
  private readonly altitude0: number;

  constructor(random: () => number) {
    // Northern/eastern hemisphere only: Wialon coordinates are patched in place, so the
    // hemisphere letters and the width of DDMM.MMMM must not change.
    this.homeLat = 44 + random() * 14; // 44..58 °N
    this.homeLon = 20 + random() * 40; // 20..60 °E
    this.radiusKm = 1 + random() * 4;
    this.phase0 = random() * 2 * Math.PI;
    this.baseSpeed = 30 + Math.floor(random() * 40);
    this.altitude0 = 150 + Math.floor(random() * 600);
  }

  /** The fix of record number `seq` (0, 1, 2, …) when records are `stepMs` apart. Writes into `out`. */
  at(seq: number, stepMs: number, out: Fix): Fix {
    const speed = this.baseSpeed + Math.round(15 * Math.sin(seq / 17)); // 15..84 km/h
    const metresPerRecord = (this.baseSpeed / 3.6) * (stepMs / 1000);
    const distanceKm = (seq * metresPerRecord) / 1000;
    const angle = this.phase0 + distanceKm / this.radiusKm; // arc length / radius
    const cosLat = Math.cos((this.homeLat * Math.PI) / 180);
    out.latitude = this.homeLat + (this.radiusKm * Math.sin(angle)) / KM_PER_DEG_LAT;
    out.longitude = this.homeLon + (this.radiusKm * Math.cos(angle)) / (KM_PER_DEG_LAT * cosLat);
    // Moving counter-clockwise round the circle: heading is the tangent, 0 = north, clockwise.
    const heading = (Math.atan2(-Math.sin(angle), Math.cos(angle)) * 180) / Math.PI; // atan2(east, north), in km
    out.course = ((Math.round(heading) % 360) + 360) % 360;
    out.speed = Math.min(99, Math.max(10, speed));
    out.altitude = Math.min(999, Math.max(100, this.altitude0 + Math.round(20 * Math.sin(seq / 31))));
    out.satellites = 10 + ((seq >>> 3) % 8);
    out.odometer = Math.round(seq * metresPerRecord);
    return out;
  }
}

export function newFix(): Fix {
  return { latitude: 0, longitude: 0, speed: 0, course: 0, altitude: 0, satellites: 0, odometer: 0 };
}
