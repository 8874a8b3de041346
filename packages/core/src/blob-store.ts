/**
 * The blob store contract: content-addressed, immutable storage of step outputs (tables, fitted
 * transformers, model artifacts, reports). A blob is named by the SHA-256 of its bytes, so storing
 * the same bytes twice stores them once, and reading a blob back can always be checked by
 * re-hashing it. The local store implements it under `.lolpop/blobs/sha256/<2 hex>/<62 hex>`
 * (`@lolpop/local`'s `localBlobStore`); other backends implement the same methods.
 *
 * Errors are {@link StoreError}s with code `blob_not_found` (no blob with that digest) or
 * `blob_corrupted` (the stored bytes no longer hash to their name), both naming the digest.
 */

/** A stored blob: its digest (lowercase hex SHA-256 of the bytes) and size in bytes. */
export interface BlobRef {
  algorithm: "sha256";
  digest: string;
  size: number;
}

/** What {@link BlobStore.verify} found. */
export type BlobState = "ok" | "missing" | "corrupted";

/** Content-addressed, immutable blob storage. */
export interface BlobStore {
  /** Stores `data` (no-op when a verified blob with the same digest exists) and returns its ref. */
  put(data: string | Uint8Array): Promise<BlobRef>;
  /**
   * Stores the concatenation of `chunks` (no-op when a verified blob with that digest exists)
   * without joining them in memory: what a step's large outputs (tables as `tableChunks`, views
   * on their columns) are stored with. Optional: without it, callers join the chunks and
   * {@link put} them.
   */
  putChunks?(chunks: readonly Uint8Array[]): Promise<BlobRef>;
  /** Stores the content of the file at `path` (streamed, so large files are fine). */
  putFile(path: string): Promise<BlobRef>;
  /** The bytes of blob `digest`, re-hashed before they are returned. @throws StoreError blob_not_found / blob_corrupted */
  get(digest: string): Promise<Uint8Array>;
  /**
   * Writes blob `digest` to `path` atomically (temp file beside it, fsync, rename), verifying the
   * hash while copying: a corrupted blob leaves nothing at `path`. @throws like {@link get}
   */
  restoreTo(digest: string, path: string): Promise<void>;
  /** Whether a blob with that digest is stored (not verified: see {@link verify}). */
  has(digest: string): Promise<boolean>;
  /** Re-hashes the stored bytes. */
  verify(digest: string): Promise<BlobState>;
  /** The digests of every stored blob, sorted. */
  list(): Promise<string[]>;
  /** Deletes a blob (for garbage collection); false when there was none. */
  remove(digest: string): Promise<boolean>;
}

/** Whether `digest` is a lowercase hex SHA-256 (64 characters). */
export function isSha256Digest(digest: string): boolean {
  return /^[0-9a-f]{64}$/.test(digest);
}
