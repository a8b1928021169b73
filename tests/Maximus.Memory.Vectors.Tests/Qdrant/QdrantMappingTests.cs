using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Qdrant;
using Qdrant.Client.Grpc;

namespace Maximus.Memory.Vectors.Tests.Qdrant;

/// <summary>The Qdrant adapter's conversions, checked without a server.</summary>
public sealed class QdrantMappingTests
{
    [Fact]
    public void Canonical_uuid_ids_are_used_as_is_and_other_ids_map_to_stable_uuids()
    {
        var uuid = Guid.NewGuid().ToString("D");

        Assert.Equal(Guid.Parse(uuid), QdrantMapping.PointId(uuid));
        Assert.NotEqual(Guid.Parse(uuid), QdrantMapping.PointId(uuid.ToUpperInvariant()));
        Assert.Equal(QdrantMapping.PointId("memory-42"), QdrantMapping.PointId("memory-42"));
        Assert.NotEqual(QdrantMapping.PointId("memory-42"), QdrantMapping.PointId("memory-43"));
        Assert.Equal(5, QdrantMapping.PointId("memory-42").Version);
    }

    [Fact]
    public void Payload_round_trips_through_qdrant_values_with_the_id_kept_apart()
    {
        var payload = new JsonObject
        {
            ["agentId"] = "agent-a",
            ["createdAt"] = 1_700_000_000_123L,
            ["score"] = 0.25,
            ["pinned"] = false,
            ["tags"] = new JsonArray("a", "b"),
            ["fact"] = new JsonObject { ["subject"] = "Ada", ["weight"] = 2 },
            ["nothing"] = null,
        };
        var point = new PointStruct();

        QdrantMapping.WritePayload(point.Payload, "memory-1", payload);
        var read = QdrantMapping.ReadPayload(point.Payload);

        Assert.Equal(Value.KindOneofCase.IntegerValue, point.Payload["createdAt"].KindCase);
        Assert.Equal(Value.KindOneofCase.DoubleValue, point.Payload["score"].KindCase);
        Assert.Equal("memory-1", QdrantMapping.ReadId(point.Payload, QdrantMapping.PointId("memory-1")));
        Assert.False(read.ContainsKey(QdrantMapping.IdKey));
        Assert.True(JsonNode.DeepEquals(payload, read), read.ToJsonString());
    }

    [Fact]
    public void Filters_map_to_must_and_must_not_field_conditions()
    {
        var filter = VectorFilter.ForAgent("agent-a")
            .OfTypes("episodic", "semantic")
            .NotExpired(DateTimeOffset.FromUnixTimeMilliseconds(1000));

        var mapped = QdrantMapping.ToQdrant(filter)!;

        Assert.Equal(2, mapped.Must.Count);
        Assert.Equal("agentId", mapped.Must[0].Field.Key);
        Assert.Equal("agent-a", mapped.Must[0].Field.Match.Keyword);
        Assert.Equal(["episodic", "semantic"], mapped.Must[1].Field.Match.Keywords.Strings);
        var range = Assert.Single(mapped.MustNot).Field.Range;
        Assert.True(range.HasLte);
        Assert.Equal(1000, range.Lte);
        Assert.False(range.HasGt || range.HasGte || range.HasLt);
        Assert.Null(QdrantMapping.ToQdrant(VectorFilter.Empty));
    }
}
