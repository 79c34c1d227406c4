/// CRC-32C (Castagnoli) (placeholder until the storage engineer lands it).
public enum CRC32C {}
