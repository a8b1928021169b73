using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maximus.Contracts.Ports;

namespace Maximus.Memory.Vectors;

/// <summary>The argument rules of <see cref="IVectorStore"/>, shared by both adapters so that they refuse the same input.</summary>
public static partial class VectorValidation
{
    public const int MaxIdLength = 512;
    public const int MaxDimension = 65_536;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex CollectionNamePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    public static void CollectionName(string collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        if (!CollectionNamePattern().IsMatch(collection))
        {
            throw new ArgumentException(
                $"Collection name '{collection}' is invalid: use 1 to 64 letters, digits, '-' or '_'.", nameof(collection));
        }
    }

    public static void Spec(VectorCollectionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        CollectionName(spec.Name);
        if (spec.Dimension is < 1 or > MaxDimension)
        {
            throw new ArgumentException($"Dimension {spec.Dimension} is out of range (1 to {MaxDimension}).", nameof(spec));
        }

        if (!Enum.IsDefined(spec.Distance))
        {
            throw new ArgumentException($"Unknown distance '{spec.Distance}'.", nameof(spec));
        }

        foreach (var (key, kind) in spec.PayloadIndexes)
        {
            Key(key, nameof(spec));
            if (!Enum.IsDefined(kind))
            {
                throw new ArgumentException($"Unknown payload index kind '{kind}' for key '{key}'.", nameof(spec));
            }
        }

        if (spec.TextField is { } textField)
        {
            Key(textField, nameof(spec));
        }
    }

    public static void TextSearchRequest(VectorTextSearchRequest request, string? textField, string collection)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Text, nameof(request));
        if (request.Limit is < 1 or > VectorSearchRequest.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Limit, $"Limit must be from 1 to {VectorSearchRequest.MaxLimit}.");
        }

        if (textField is null)
        {
            throw new ArgumentException(
                $"Vector collection '{collection}' has no text field for keyword search (ensure it with VectorCollectionSpec.TextField).", nameof(request));
        }

        Filter(request.Filter, nameof(request));
        PayloadKeys(request.PayloadKeys, nameof(request));
    }

    /// <summary>Refuses a collection that exists with another dimension or distance (an embedding model mismatch).</summary>
    public static void SameShape(VectorCollectionInfo existing, VectorCollectionSpec requested)
    {
        if (existing.Dimension != requested.Dimension)
        {
            throw new ArgumentException(
                $"Vector collection '{existing.Name}' has dimension {existing.Dimension}, but dimension {requested.Dimension} was requested " +
                "(is the embedding model the one the collection was built with?).",
                nameof(requested));
        }

        if (existing.Distance != requested.Distance)
        {
            throw new ArgumentException(
                $"Vector collection '{existing.Name}' uses distance {existing.Distance}, but {requested.Distance} was requested.",
                nameof(requested));
        }
    }

    public static void Key(string key, string parameter)
    {
        if (key is null || !KeyPattern().IsMatch(key))
        {
            throw new ArgumentException(
                $"Payload key '{key}' is invalid: use a letter, then letters, digits or '_' (at most 128).", parameter);
        }
    }

    public static void Id(string id, string parameter)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxIdLength)
        {
            throw new ArgumentException($"Point id '{id}' is invalid: it must be non-blank and at most {MaxIdLength} characters.", parameter);
        }
    }

    /// <summary>Checks the length and that every component is finite.</summary>
    public static void Vector(ReadOnlySpan<float> vector, int dimension, string collection, string what, string parameter)
    {
        if (vector.Length != dimension)
        {
            throw new ArgumentException(
                $"The {what} has {vector.Length} dimensions, but collection '{collection}' has dimension {dimension}.", parameter);
        }

        foreach (var value in vector)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException($"The {what} has a non-finite component ({value}).", parameter);
            }
        }
    }

    /// <summary>The vector as stored: L2-normalised for cosine (a zero vector is refused), as given for dot.</summary>
    public static float[] Prepare(ReadOnlySpan<float> vector, VectorDistance distance, string what, string parameter)
    {
        var copy = vector.ToArray();
        if (distance == VectorDistance.Cosine)
        {
            var norm = TensorPrimitives.Norm(copy);
            if (!(norm > 0) || !float.IsFinite(norm))
            {
                throw new ArgumentException($"The {what} has length zero: cosine similarity needs a non-zero vector.", parameter);
            }

            TensorPrimitives.Divide(copy, norm, copy);
        }

        return copy;
    }

    public static void Payload(JsonObject payload, string id, string parameter)
    {
        ArgumentNullException.ThrowIfNull(payload, parameter);
        foreach (var (key, _) in payload)
        {
            if (key.StartsWith('_'))
            {
                throw new ArgumentException($"Payload key '{key}' of point '{id}' is reserved (keys starting with '_' belong to the adapters).", parameter);
            }
        }
    }

    public static void Filter(VectorFilter? filter, string parameter)
    {
        if (filter is null)
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(filter.Must, parameter);
        ArgumentNullException.ThrowIfNull(filter.MustNot, parameter);
        foreach (var condition in filter.Must.Concat(filter.MustNot))
        {
            ArgumentNullException.ThrowIfNull(condition, parameter);
            Key(condition.Key, parameter);
            switch (condition)
            {
                case MatchCondition match:
                    ArgumentNullException.ThrowIfNull(match.Value, parameter);
                    break;
                case MatchAnyCondition any:
                    ArgumentNullException.ThrowIfNull(any.Values, parameter);
                    if (any.Values.Any(v => v is null))
                    {
                        throw new ArgumentException($"Match-any on '{condition.Key}' has a null value.", parameter);
                    }

                    break;
                case RangeCondition range:
                    if (range.Gt is null && range.Gte is null && range.Lt is null && range.Lte is null)
                    {
                        throw new ArgumentException($"Range on '{condition.Key}' has no bound.", parameter);
                    }

                    if (new[] { range.Gt, range.Gte, range.Lt, range.Lte }.Any(b => b is { } v && double.IsNaN(v)))
                    {
                        throw new ArgumentException($"Range on '{condition.Key}' has a NaN bound.", parameter);
                    }

                    break;
                default:
                    throw new ArgumentException($"Unsupported filter condition {condition.GetType().Name}.", parameter);
            }
        }
    }

    public static void SearchRequest(VectorSearchRequest request, int dimension, string collection)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 1 or > VectorSearchRequest.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Limit, $"Limit must be from 1 to {VectorSearchRequest.MaxLimit}.");
        }

        Vector(request.Vector.Span, dimension, collection, "query vector", nameof(request));
        Filter(request.Filter, nameof(request));
        PayloadKeys(request.PayloadKeys, nameof(request));
    }

    public static void ScrollRequest(VectorScrollRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 1 or > VectorScrollRequest.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Limit, $"Limit must be from 1 to {VectorScrollRequest.MaxLimit}.");
        }

        Filter(request.Filter, nameof(request));
        PayloadKeys(request.PayloadKeys, nameof(request));
    }

    /// <summary>The payload keys a read asks for: none blank, none of the adapters' own ('_...').</summary>
    public static void PayloadKeys(IReadOnlyList<string>? keys, string parameter)
    {
        foreach (var key in keys ?? [])
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException("PayloadKeys holds a blank key.", parameter);
            }

            if (key.StartsWith('_'))
            {
                throw new ArgumentException($"PayloadKeys: key '{key}' is reserved (keys starting with '_' belong to the adapters).", parameter);
            }
        }
    }

    public static void Ids(IReadOnlyCollection<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            Id(id, nameof(ids));
        }
    }
}

/// <summary>How payload values are read for filtering and indexing; the embedded store's one definition of filter semantics.</summary>
internal static class PayloadValues
{
    /// <summary>The strings a keyword condition sees: a string, or the string elements of an array.</summary>
    public static IEnumerable<string> Keywords(JsonNode? node)
    {
        switch (node)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                yield return value.GetValue<string>();
                break;
            case JsonArray array:
                foreach (var element in array)
                {
                    if (element is JsonValue item && item.GetValueKind() == JsonValueKind.String)
                    {
                        yield return item.GetValue<string>();
                    }
                }

                break;
        }
    }

    /// <summary>The number a range condition sees, or NaN when the value is missing or not a number.</summary>
    public static double Number(JsonNode? node)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            if (value.TryGetValue<double>(out var d))
            {
                return d;
            }

            return double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
        }

        return double.NaN;
    }

    public static bool InRange(double value, RangeCondition range) =>
        !double.IsNaN(value)
        && (range.Gt is not { } gt || value > gt)
        && (range.Gte is not { } gte || value >= gte)
        && (range.Lt is not { } lt || value < lt)
        && (range.Lte is not { } lte || value <= lte);

    /// <summary>Evaluates one condition on a whole payload (the path for keys without an index).</summary>
    public static bool Matches(JsonObject payload, VectorCondition condition)
    {
        payload.TryGetPropertyValue(condition.Key, out var node);
        return condition switch
        {
            MatchCondition match => Keywords(node).Any(v => string.Equals(v, match.Value, StringComparison.Ordinal)),
            MatchAnyCondition any => Keywords(node).Any(v => any.Values.Contains(v, StringComparer.Ordinal)),
            RangeCondition range => InRange(Number(node), range),
            _ => false,
        };
    }
}
