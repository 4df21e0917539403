/**
 * A signature made by the real cosign tool (`cosign sign --key`), not by these tests.
 *
 * Source: the README of github.com/R3DRUN3/immunize ("Verify Image Signatures and Attestations"),
 * which shows `cosign verify --key cosign/cosign.pub` output for
 * ghcr.io/r3drun3/immunize/docker.io/library/node:18.17.1-slim-immunized. The Rekor entry in
 * that output (a hashedrekord, kept by cosign in the layer's `dev.sigstore.cosign/bundle`
 * annotation) carries cosign's signature and the public key; the simple-signing payload is the
 * claim it prints, with `optional` null as cosign signs it, and hashes to the entry's data hash
 * (62c55fa4…), which the test checks.
 */
export const COSIGN_IMAGE_DIGEST = 'sha256:19940c59087a363148b44c56447186d97d6afbc2165727b2d0a2ea0ce43b69fd';
export const COSIGN_PAYLOAD = Buffer.from(
  '{"critical":{"identity":{"docker-reference":"ghcr.io/r3drun3/immunize/docker.io/library/node"},"image":{"docker-manifest-digest":"sha256:19940c59087a363148b44c56447186d97d6afbc2165727b2d0a2ea0ce43b69fd"},"type":"cosign container image signature"},"optional":null}',
);
export const COSIGN_PAYLOAD_SHA256 = '62c55fa4d1219a99eba293ca4c3b6ab7f5cd16a9b1f2f69ea49f3cdd8dc88870';
export const COSIGN_SIGNATURE = 'MEYCIQC1zu0j7Yz5KQjpaNlNy/FJTOqPgI8Dw+mTzgk8GbcWYgIhANPZO47LSoqo60bXYwxij5JACVlif6ivjS6UZFRL0wi3';
export const COSIGN_PUB = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2ZobFTItyOXob9pKspR0aDSaXjVj
DEp8brDskB6OnMUx7GQEblD2RDBBmP5TAKvspay2syp4Z+5s2V69vS8OKg==
-----END PUBLIC KEY-----
`;
