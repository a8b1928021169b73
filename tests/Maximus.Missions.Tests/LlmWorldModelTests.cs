using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Planning.WorldModels;
using Microsoft.Extensions.AI;

namespace Maximus.Missions.Tests;

public sealed class LlmWorldModelTests
{
    private static readonly PluginAction Draft = new(
        "draft", [new ActionParameter("to")],
        Preconditions: [new ContractLiteral("known", ["?to"])],
        Effects: [new ContractLiteral("drafted", ["?to"])]);

    /// <summary>An action the plugin declares nothing about: only a model can guess what it does.</summary>
    private static readonly PluginAction Send = new("send", [new ActionParameter("to")], Description: "sends the drafted e-mail");

    private static readonly PluginState State = new([new PluginObject("bob")], [new ContractLiteral("known", ["bob"])]);

    private static SimulationRequest Request() => new(
        [Draft, Send], State, [new ContractLiteral("sent", ["bob"])],
        [new PlanStep("draft", [new StepArgument("to", "bob")]), new PlanStep("send", [new StepArgument("to", "bob")])]);

    [Fact]
    public async Task Undeclared_steps_are_predicted_by_the_model_and_declared_ones_exactly()
    {
        var chat = new ScriptedChat("""{"successProbability": 0.9, "add": ["(sent bob)"], "delete": ["(drafted bob)"], "reason": "the draft goes out"}""");

        var result = await new LlmWorldModel(chat).SimulateAsync(Request(), TestContext.Current.CancellationToken);

        Assert.True(result.Valid);
        Assert.True(result.GoalReached);
        Assert.Equal(0.9, result.SuccessProbability, 3);
        Assert.Equal(1, chat.Calls);
        Assert.Contains(result.Steps[0].PredictedFacts, f => f.ToString() == "(drafted bob)");
        Assert.DoesNotContain(result.PredictedFacts, f => f.ToString() == "(drafted bob)");
        Assert.Contains("\"send\"", chat.LastPrompt, StringComparison.Ordinal);
        Assert.Contains("(drafted bob)", chat.LastPrompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pessimistic_or_unreadable_prediction_keeps_the_critic_from_accepting_the_plan()
    {
        var pessimistic = await new LlmWorldModel(new ScriptedChat("""{"successProbability": 0.1, "add": ["(sent bob)"]}"""))
            .SimulateAsync(Request(), TestContext.Current.CancellationToken);
        var unreadable = await new LlmWorldModel(new ScriptedChat("it depends"))
            .SimulateAsync(Request(), TestContext.Current.CancellationToken);

        Assert.True(pessimistic.SuccessProbability < Workflows.MissionWorkflow.AcceptThreshold);
        Assert.False(unreadable.GoalReached);
        Assert.Equal(ContractWorldModel.UnknownActionProbability, unreadable.SuccessProbability, 3);
    }

    [Fact]
    public void Literals_from_the_model_are_parsed_with_negation()
    {
        var parsed = LlmWorldModel.Parse(["(on a b)", "(not (clear a))", "garbage", "(handempty)"]).Select(l => l.ToString()).ToList();

        Assert.Equal(["(on a b)", "(not (clear a))", "(handempty)"], parsed);
    }

    private sealed class ScriptedChat(string answer) : IChatClient
    {
        public int Calls { get; private set; }

        public string LastPrompt { get; private set; } = "";

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            LastPrompt = string.Join("\n", messages.Select(m => m.Text));
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The world model does not stream.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
