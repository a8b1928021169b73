using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Tests;

public sealed class PluginContractTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Literal_prints_in_pddl_form()
    {
        Assert.Equal("(on a b)", new ContractLiteral("on", ["a", "b"]).ToString());
        Assert.Equal("(not (handempty))", new ContractLiteral("handempty", [], Negated: true).ToString());
    }

    [Fact]
    public void Plan_step_prints_action_and_values_in_parameter_order()
    {
        var step = new PlanStep("stack", [new StepArgument("ob", "a"), new StepArgument("underob", "b")]);
        Assert.Equal("(stack a b)", step.ToString());
        Assert.Equal("b", step.ArgumentMap()["underob"]);
    }

    [Fact]
    public void Outcome_travels_as_a_string()
    {
        var json = JsonSerializer.Serialize(new ActionResult(ActionOutcome.Rejected, "no"), Web);
        Assert.Contains("\"outcome\":\"Rejected\"", json, StringComparison.Ordinal);
        Assert.Equal(ActionOutcome.Rejected, JsonSerializer.Deserialize<ActionResult>(json, Web)!.Outcome);
    }

    [Fact]
    public void Context_is_escaped_into_the_query()
    {
        Assert.Equal("plugin/state?context=a%20b", PluginContract.WithContext(PluginContract.StateMethod, "a b"));
        Assert.Equal("plugin/state", PluginContract.WithContext(PluginContract.StateMethod, null));
    }
}
