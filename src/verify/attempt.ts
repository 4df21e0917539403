/** What one signature showed when checked against a candidate digest. */
export type Attempt =
  | { kind: 'verified'; by: string; source: string }
  /** The signature verifies, but over another digest: replayed from another image. */
  | { kind: 'other-digest'; source: string; signed: string }
  /** A certificate chained to the trusted root, but for someone the policy does not name. */
  | { kind: 'identity'; source: string; identity: string }
  /** Nothing the policy trusts made it (tampered, unknown key, malformed). */
  | { kind: 'unverified'; source: string; why: string };
