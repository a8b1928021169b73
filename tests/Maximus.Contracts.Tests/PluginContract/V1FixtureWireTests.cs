using System.Text.Json;
using Maximus.Contracts.Plugins;
using Maximus.ServiceDefaults;

namespace Maximus.Contracts.Tests;

/// <summary>
/// Contract v1 is frozen: the contract types, with the product's JSON settings, read every file a v1 plugin serves
/// (<c>PluginContract/v1/</c>) to exactly the values written in it, and write what the host sends in the shape a v1
/// plugin parses. Every later version must keep passing these tests without touching the fixture.
/// </summary>
public sealed class V1FixtureWireTests
{
    [Fact]
    public void Manifest_reads_field_by_field()
    {
        var manifest = V1Fixture.Deserialize<PluginManifest>(V1Fixture.Manifest);

        Assert.Equal("courier", manifest.Name);
        Assert.Equal("1.0.0", manifest.Version);
        Assert.Equal("1", manifest.ContractVersion);
        Assert.Equal(PluginContract.Version, manifest.ContractVersion);
        Assert.Equal("A truck that carries parcels between places. Written against plugin contract v1.", manifest.Description);
        Assert.Equal(V1Fixture.Actions, manifest.Actions.Select(a => a.Name));

        var load = manifest.Actions[0];
        Assert.Equal("Puts a parcel that lies where the truck stands into the truck.", load.Description);
        Assert.Equal([new ActionParameter("parcel", "parcel"), new ActionParameter("place", "place")], load.Parameters);
        Assert.Equal(["(at ?parcel ?place)", "(truck-at ?place)"], Texts(load.Preconditions));
        Assert.Equal(["(in-truck ?parcel)", "(not (at ?parcel ?place))"], Texts(load.Effects));
        Assert.False(load.Risky);
        var schema = Assert.NotNull(load.InputSchema);
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["parcel", "place"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("an object of type 'parcel'", schema.GetProperty("properties").GetProperty("parcel").GetProperty("description").GetString());
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());

        var drive = manifest.Actions[1];
        Assert.Equal([new ActionParameter("from", "place"), new ActionParameter("to", "place")], drive.Parameters);
        Assert.Equal(["(truck-at ?from)", "(not (truck-at ?to))"], Texts(drive.Preconditions));
        Assert.Equal(["(truck-at ?to)", "(not (truck-at ?from))"], Texts(drive.Effects));
        Assert.Equal(["from", "to"], Assert.NotNull(drive.InputSchema).GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(drive.Risky);

        var unload = manifest.Actions[2];
        Assert.Equal([new ActionParameter("parcel", "parcel"), new ActionParameter("place", "place")], unload.Parameters);
        Assert.Equal(["(in-truck ?parcel)", "(truck-at ?place)"], Texts(unload.Preconditions));
        Assert.Equal(["(at ?parcel ?place)", "(not (in-truck ?parcel))"], Texts(unload.Effects));
        Assert.False(unload.Risky);

        // A risky action with an untyped parameter (the type defaults to "object") and a constant in its literals.
        var scrap = manifest.Actions[3];
        Assert.True(scrap.Risky);
        Assert.Equal([new ActionParameter("parcel", "object")], scrap.Parameters);
        Assert.Null(scrap.InputSchema);
        Assert.Equal(["(at ?parcel depot)"], Texts(scrap.Preconditions));
        Assert.Equal(["(not (at ?parcel depot))"], Texts(scrap.Effects));
        Assert.Equal("Destroys a parcel left at the depot. Cannot be undone.", scrap.Description);

        // The least a v1 action can say: a name and no parameters; everything else left out.
        var bell = manifest.Actions[4];
        Assert.Empty(bell.Parameters);
        Assert.Null(bell.InputSchema);
        Assert.Null(bell.Preconditions);
        Assert.Null(bell.Effects);
        Assert.Null(bell.Description);
        Assert.False(bell.Risky);
    }

    [Fact]
    public void State_reads_objects_facts_goal_and_version()
    {
        var state = V1Fixture.Deserialize<PluginState>(V1Fixture.State);

        Assert.Equal([new PluginObject("p1", "parcel"), new PluginObject("depot", "place"), new PluginObject("house", "place")], state.Objects);
        Assert.Equal(["(at p1 depot)", "(truck-at depot)"], Texts(state.Facts));
        Assert.Equal(["(at p1 house)"], Texts(state.Goal));
        Assert.False(state.GoalReached);
        Assert.Equal(0, state.Version);
    }

    [Theory]
    [InlineData("load", "p1 is in the truck at depot", 1, "(in-truck p1) (truck-at depot)", false)]
    [InlineData("drive", "the truck drove from depot to house", 2, "(in-truck p1) (truck-at house)", false)]
    [InlineData("unload", "p1 was delivered at house", 3, "(at p1 house) (truck-at house)", true)]
    public void A_succeeded_answer_reads_with_its_new_state(string action, string observation, long version, string facts, bool goalReached)
    {
        var result = V1Fixture.Deserialize<ActionResult>(V1Fixture.ActionAnswer(action));

        Assert.Equal(ActionOutcome.Succeeded, result.Outcome);
        Assert.Equal(observation, result.Observation);
        Assert.Null(result.Error);
        Assert.False(result.Replayed);
        Assert.NotNull(result.State);
        var state = result.State;
        Assert.Equal(facts, string.Join(' ', Texts(state.Facts)));
        Assert.Equal(["p1", "depot", "house"], state.Objects.Select(o => o.Name));
        Assert.Equal(goalReached, state.GoalReached);
        Assert.Equal(version, state.Version);
        Assert.Equal(goalReached ? ["(at p1 house)"] : null, state.Goal is null ? null : Texts(state.Goal));
    }

    [Fact]
    public void A_rejected_answer_reads_with_its_error_and_no_state()
    {
        var result = V1Fixture.Deserialize<ActionResult>(V1Fixture.ActionAnswer("scrap"));

        Assert.Equal(ActionOutcome.Rejected, result.Outcome);
        Assert.Equal("request rejected", result.Observation);
        Assert.Equal("scrap is disabled on this courier", result.Error);
        Assert.Null(result.State);
        Assert.False(result.Replayed);
    }

    [Fact]
    public void A_failed_answer_may_leave_out_error_and_state()
    {
        var result = V1Fixture.Deserialize<ActionResult>(V1Fixture.ActionAnswer("ring-bell"));

        Assert.Equal(ActionOutcome.Failed, result.Outcome);
        Assert.Equal("nobody answered the bell", result.Observation);
        Assert.Null(result.Error);
        Assert.Null(result.State);
    }

    [Fact]
    public void The_request_a_v1_plugin_parses_reads_into_the_contract_type()
    {
        var full = V1Fixture.Deserialize<ActionRequest>(V1Fixture.Request("load"));
        Assert.Equal("mission-1/r0/s0", full.RequestId);
        Assert.Equal(new Dictionary<string, string> { ["parcel"] = "p1", ["place"] = "depot" }, full.Arguments);
        Assert.Equal("route-7", full.Context);
        Assert.Equal("mission-1", full.MissionId);

        var least = V1Fixture.Deserialize<ActionRequest>(V1Fixture.Request("ring-bell"));
        Assert.Equal("mission-2/r0/s0", least.RequestId);
        Assert.Empty(least.Arguments);
        Assert.Null(least.Context);
        Assert.Null(least.MissionId);
    }

    [Fact]
    public void The_host_writes_an_action_request_with_every_v1_field_a_plugin_parses()
    {
        var request = new ActionRequest("mission-1/r0/s0", new Dictionary<string, string> { ["parcel"] = "p1", ["place"] = "depot" }, "route-7", "mission-1");
        using var written = JsonDocument.Parse(JsonSerializer.Serialize(request, MaximusJson.Options));

        AssertCarriesV1Request(V1Fixture.Parse(V1Fixture.Request("load")), written.RootElement);
    }

    /// <summary>
    /// Every property of the v1 request is present under its v1 name with the same JSON value. A later host may add
    /// properties (additive change: a v1 plugin ignores them), so extra names are allowed.
    /// </summary>
    internal static void AssertCarriesV1Request(JsonElement v1, JsonElement sent)
    {
        Assert.Equal(JsonValueKind.Object, sent.ValueKind);
        foreach (var property in v1.EnumerateObject())
        {
            Assert.True(sent.TryGetProperty(property.Name, out var value), $"the host no longer sends '{property.Name}': {sent}");
            Assert.True(JsonElement.DeepEquals(property.Value, value), $"'{property.Name}' is {value}, a v1 plugin expects {property.Value}");
        }
    }

    private static string[] Texts(IReadOnlyList<ContractLiteral>? literals) =>
        Assert.IsType<IReadOnlyList<ContractLiteral>>(literals, exactMatch: false).Select(l => l.ToString()).ToArray();
}
