using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maximus.Migration;

/// <summary>
/// The checksum of one migrated record: SHA-256 over the Chroma id, the document (absent and empty differ), the canonical
/// metadata and the vector's float32 bytes (little-endian). Canonical metadata: JSON with object keys sorted ordinally,
/// arrays in order, numbers as integers when integral (else the shortest round-trip form, invariant culture), so that a
/// value survives a JSON round trip through a store with the same checksum.
/// </summary>
public static class RecordChecksum
{
    public static string Compute(string id, string? document, JsonObject? metadata, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(id);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendString(hash, id);
        if (document is null)
        {
            hash.AppendData([0]);
        }
        else
        {
            hash.AppendData([1]);
            AppendString(hash, document);
        }

        AppendString(hash, CanonicalJson(metadata ?? []));
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, vector.Length);
        hash.AppendData(length);
        if (BitConverter.IsLittleEndian)
        {
            // The components' float32 bytes as they lie in memory, in one call (one call per component cost more than the hash).
            hash.AppendData(MemoryMarshal.AsBytes(vector));
        }
        else
        {
            var bytes = new byte[vector.Length * sizeof(float)];
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
            }

            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The canonical JSON text of a node (see the class remarks).</summary>
    public static string CanonicalJson(JsonNode? node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, child) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, child);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                var value = node.AsValue();
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        writer.WriteStringValue(value.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                    case JsonValueKind.False:
                        writer.WriteBooleanValue(value.GetValue<bool>());
                        break;
                    case JsonValueKind.Number:
                        var text = value.ToJsonString();
                        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                        {
                            writer.WriteNumberValue(integer);
                        }
                        else
                        {
                            var real = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                            if (Math.Abs(real) < 9.2e18 && real == Math.Floor(real))
                            {
                                writer.WriteNumberValue((long)real);
                            }
                            else
                            {
                                writer.WriteRawValue(real.ToString("R", CultureInfo.InvariantCulture));
                            }
                        }

                        break;
                    default:
                        writer.WriteNullValue();
                        break;
                }

                break;
        }
    }
}
