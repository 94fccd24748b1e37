using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace StocksRebuild.Ingestion;

/// <summary>
/// The 64-bit hashes PostgreSQL computes for hash partitioning (hash_record_extended and each type's extended
/// hash, seed 0), computed here from the values read, so that a digest of the files and one of the table can be
/// compared without sending the rows. These hashes are stable across servers and versions because hash-partitioned
/// tables depend on them. The byte hash is Bob Jenkins' lookup3 (public domain) on little-endian words, with
/// PostgreSQL's initial value; RowDigestTests check every type here against the server's own functions.
/// </summary>
public static class PgHash
{
    const uint Initial = 0x9e3779b9 + 3923095;

    /// <summary>hash_bytes_extended with seed 0: text, and a numeric's base-10000 digits.</summary>
    public static ulong Bytes(ReadOnlySpan<byte> key)
    {
        uint a, b, c;
        a = b = c = Initial + (uint)key.Length;
        while (key.Length >= 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(key);
            b += BinaryPrimitives.ReadUInt32LittleEndian(key[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(key[8..]);
            Mix(ref a, ref b, ref c);
            key = key[12..];
        }
        // The last 0..11 bytes fill a, then b, then c from its second byte (its lowest byte stands for the length).
        for (var i = 0; i < key.Length; i++)
        {
            if (i < 4) a += (uint)key[i] << (8 * i);
            else if (i < 8) b += (uint)key[i] << (8 * (i - 4));
            else c += (uint)key[i] << (8 * (i - 7));
        }
        Final(ref a, ref b, ref c);
        return ((ulong)b << 32) | c;
    }

    /// <summary>hash_bytes_uint32_extended: the hash of integers, dates and booleans (seed 0), and the seeded mix of Scatter.</summary>
    public static ulong UInt32(uint key, ulong seed = 0)
    {
        uint a, b, c;
        a = b = c = Initial + 4;
        if (seed != 0)
        {
            a += (uint)(seed >> 32);
            b += (uint)seed;
            Mix(ref a, ref b, ref c);
        }
        a += key;
        Final(ref a, ref b, ref c);
        return ((ulong)b << 32) | c;
    }

    /// <summary>hashint8extended: the two halves folded into one word (so bigint and integer hash alike).</summary>
    public static ulong Int8(long value, ulong seed = 0)
    {
        var low = (uint)value;
        var high = (uint)(value >> 32);
        return UInt32(low ^ (value >= 0 ? high : ~high), seed);
    }

    /// <summary>
    /// hashint8extended(h, h): a row hash through lookup3's non-linear mix before it is summed. hash_record_extended is
    /// linear (31 × h + column), so a plain sum over a group sees only each column's values, not which row holds which:
    /// swapping two rows' volumes left it unchanged. Mixed, a different set of rows sums alike with odds of about 2⁻⁶⁴.
    /// The seed is h itself so that all 64 bits pass through the mix (the key alone is folded to 32).
    /// </summary>
    public static ulong Scatter(ulong rowHash) => Int8((long)rowHash, rowHash);

    /// <summary>The same mix in SQL, over a row hash expression.</summary>
    public static string ScatterSql(string rowHash) => $"hashint8extended({rowHash}, {rowHash})";

    public static ulong Int4(int value) => UInt32((uint)value);

    /// <summary>date is an int4 of days since 2000-01-01.</summary>
    public static ulong Date(DateOnly value) => Int4(value.DayNumber - Epoch);

    static readonly int Epoch = new DateOnly(2000, 1, 1).DayNumber;

    public static ulong Bool(bool value) => UInt32(value ? 1u : 0u);

    /// <summary>hashtextextended under a deterministic collation: the UTF-8 bytes.</summary>
    public static ulong Text(string value)
    {
        Span<byte> small = stackalloc byte[256];
        var length = Encoding.UTF8.GetByteCount(value);
        var bytes = length <= small.Length ? small[..length] : new byte[length];
        Encoding.UTF8.GetBytes(value, bytes);
        return Bytes(bytes);
    }

    /// <summary>
    /// hash_numeric_extended: the base-10000 digits without leading or trailing zero digits, hashed as the int16s
    /// they are stored as, XOR the weight of the first one. Neither sign nor display scale is in it (RowDigest adds the sign).
    /// </summary>
    public static ulong Numeric(decimal value)
    {
        if (value == 0) return ulong.MaxValue; // seed - 1
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var scale = value.Scale;
        // Align the decimal point on a base-10000 digit: a scale of 6 counts as 8, two fractional digits.
        var fractionDigits = (scale + 3) / 4;
        var padding = Pow10[fractionDigits * 4 - scale];
        Span<short> digits = stackalloc short[12];
        var count = 0;
        if (bits[2] == 0 && (((ulong)(uint)bits[1] << 32) | (uint)bits[0]) is var small && small <= ulong.MaxValue / 1000)
        {
            // The common case (prices): 64-bit arithmetic, which the JIT divides by a constant with a multiplication.
            for (var mantissa = small * padding; mantissa != 0; mantissa /= 10000) digits[count++] = (short)(mantissa % 10000);
        }
        else
        {
            var mantissa = (((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0]) * padding;
            for (; mantissa != 0; mantissa /= 10000) digits[count++] = (short)(ushort)(mantissa % 10000);
        }
        // digits holds the least significant first; the weight of the most significant is its place before the point.
        var weight = count - 1 - fractionDigits;
        var low = 0;
        while (digits[low] == 0) low++;
        Span<byte> bytes = stackalloc byte[24];
        var length = 0;
        for (var i = count - 1; i >= low; i--, length += 2) BinaryPrimitives.WriteInt16LittleEndian(bytes[length..], digits[i]);
        return Bytes(bytes[..length]) ^ (ulong)(long)weight;
    }

    static readonly ulong[] Pow10 = [1, 10, 100, 1000];

    /// <summary>hash_record_extended: each column's hash into 31 × the running result (0 for NULL).</summary>
    public static ulong Combine(ulong record, ulong column) => (record << 5) - record + column;

    static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    static void Final(ref uint a, ref uint b, ref uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
    }
}
