using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Collections;
using Maximus.Contracts.Ports;
using Qdrant.Client.Grpc;
using Range = Qdrant.Client.Grpc.Range;

namespace Maximus.Memory.Vectors.Qdrant;

/// <summary>Pure conversions between the port's types and Qdrant's gRPC messages (unit-tested without a server).</summary>
internal static class QdrantMapping
{
    /// <summary>The payload key that keeps the port's string id (Qdrant point ids are UUIDs or integers).</summary>
    public const string IdKey = "_id";

    /// <summary>
    /// The point id of a string id: the id itself when it is a canonical UUID ("D" format, lower case), else a
    /// deterministic name-based UUID (SHA-256 of the id, version 5 and variant bits set).
    /// </summary>
    public static Guid PointId(string id)
    {
        if (Guid.TryParseExact(id, "D", out var guid) && string.Equals(guid.ToString("D"), id, StringComparison.Ordinal))
        {
            return guid;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("maximus-vector-id:" + id), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    public static Distance ToQdrant(VectorDistance distance) => distance switch
    {
        VectorDistance.Cosine => Distance.Cosine,
        VectorDistance.Dot => Distance.Dot,
        _ => throw new ArgumentOutOfRangeException(nameof(distance), distance, "Unsupported distance."),
    };

    public static VectorDistance FromQdrant(Distance distance, string collection) => distance switch
    {
        Distance.Cosine => VectorDistance.Cosine,
        Distance.Dot => VectorDistance.Dot,
        _ => throw new InvalidOperationException($"Qdrant collection '{collection}' uses distance {distance}, which this port does not support."),
    };

    public static Filter? ToQdrant(VectorFilter? filter)
    {
        if (filter is null || filter.IsEmpty)
        {
            return null;
        }

        var result = new Filter();
        result.Must.AddRange(filter.Must.Select(ToQdrant));
        result.MustNot.AddRange(filter.MustNot.Select(ToQdrant));
        return result;
    }

    public static Condition ToQdrant(VectorCondition condition)
    {
        var field = new FieldCondition { Key = condition.Key };
        switch (condition)
        {
            case MatchCondition match:
                field.Match = new Match { Keyword = match.Value };
                break;
            case MatchAnyCondition any:
                var keywords = new RepeatedStrings();
                keywords.Strings.AddRange(any.Values);
                field.Match = new Match { Keywords = keywords };
                break;
            case RangeCondition range:
                var r = new Range();
                if (range.Gt is { } gt)
                {
                    r.Gt = gt;
                }

                if (range.Gte is { } gte)
                {
                    r.Gte = gte;
                }

                if (range.Lt is { } lt)
                {
                    r.Lt = lt;
                }

                if (range.Lte is { } lte)
                {
                    r.Lte = lte;
                }

                field.Range = r;
                break;
            default:
                throw new ArgumentException($"Unsupported filter condition {condition.GetType().Name}.", nameof(condition));
        }

        return new Condition { Field = field };
    }

    /// <summary>The payload to store: the caller's JSON object plus the string id under <see cref="IdKey"/>.</summary>
    public static void WritePayload(MapField<string, Value> target, string id, JsonObject payload)
    {
        foreach (var (key, node) in payload)
        {
            target[key] = ToValue(node);
        }

        target[IdKey] = id;
    }

    /// <summary>The port's payload: everything but the reserved id key.</summary>
    public static JsonObject ReadPayload(MapField<string, Value> payload)
    {
        var result = new JsonObject();
        foreach (var (key, value) in payload)
        {
            if (!string.Equals(key, IdKey, StringComparison.Ordinal))
            {
                result[key] = ToNode(value);
            }
        }

        return result;
    }

    public static string ReadId(MapField<string, Value> payload, PointId pointId) =>
        payload.TryGetValue(IdKey, out var id) && id.KindCase == Value.KindOneofCase.StringValue
            ? id.StringValue
            : pointId.PointIdOptionsCase == global::Qdrant.Client.Grpc.PointId.PointIdOptionsOneofCase.Uuid ? pointId.Uuid : pointId.Num.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static Value ToValue(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return new Value { NullValue = NullValue.NullValue };
            case JsonObject obj:
                var structValue = new Struct();
                foreach (var (key, child) in obj)
                {
                    structValue.Fields[key] = ToValue(child);
                }

                return new Value { StructValue = structValue };
            case JsonArray array:
                var list = new ListValue();
                list.Values.AddRange(array.Select(ToValue));
                return new Value { ListValue = list };
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        return new Value { StringValue = value.GetValue<string>() };
                    case JsonValueKind.True:
                        return new Value { BoolValue = true };
                    case JsonValueKind.False:
                        return new Value { BoolValue = false };
                    case JsonValueKind.Number:
                        var text = value.ToJsonString();
                        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var integer)
                            ? new Value { IntegerValue = integer }
                            : new Value { DoubleValue = PayloadValues.Number(value) };
                    default:
                        return new Value { NullValue = NullValue.NullValue };
                }

            default:
                throw new ArgumentException($"Unsupported JSON node {node.GetType().Name}.", nameof(node));
        }
    }

    public static JsonNode? ToNode(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => JsonValue.Create(value.StringValue),
        Value.KindOneofCase.IntegerValue => JsonValue.Create(value.IntegerValue),
        Value.KindOneofCase.DoubleValue => JsonValue.Create(value.DoubleValue),
        Value.KindOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        Value.KindOneofCase.StructValue => new JsonObject(value.StructValue.Fields.Select(f => KeyValuePair.Create(f.Key, ToNode(f.Value)))),
        Value.KindOneofCase.ListValue => new JsonArray([.. value.ListValue.Values.Select(ToNode)]),
        _ => null,
    };

    /// <summary>The dense vector of a point: the single unnamed one, or the unnamed entry beside named (sparse) ones.</summary>
    public static float[]? ReadVector(VectorsOutput? vectors) =>
        (vectors?.Vector ?? (vectors?.Vectors is { } named && named.Vectors.TryGetValue(string.Empty, out var unnamed) ? unnamed : null))?.Dense?.Data is { Count: > 0 } data
            ? [.. data]
            : null;
}
