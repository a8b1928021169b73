using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Llm.Tests.Support;
using Maximus.Planning;
using Maximus.Planning.Apis;
using Maximus.Planning.Llm;
using Maximus.Planning.Symbolic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maximus.Llm.Tests;

public sealed class LlmPlannerTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private const string ValidPlan = """
        {"plans":[{"steps":[
          {"action":"unstack","arguments":[{"name":"x","value":"a"},{"name":"y","value":"b"}]},
          {"action":"put-down","arguments":[{"name":"x","value":"a"}]},
          {"action":"pick-up","arguments":[{"name":"x","value":"b"}]},
          {"action":"stack","arguments":[{"name":"x","value":"b"},{"name":"y","value":"a"}]}]}]}
        """;

    private static readonly string[] Expected = ["(unstack a b)", "(put-down a)", "(pick-up b)", "(stack b a)"];

    [Fact]
    public async Task The_llm_planner_recovers_when_the_model_first_answers_an_unknown_action()
    {
        var chat = new ScriptedChatClient(
            """{"plans":[{"steps":[{"action":"teleport","arguments":[{"name":"x","value":"b"},{"name":"y","value":"a"}]}]}]}""",
            ValidPlan);
        var planner = Planner(chat);

        var response = await planner.PlanAsync(Blocksworld(), Ct);

        var plan = Assert.Single(response.Candidates);
        Assert.Equal(LlmPlanner.PlannerName, plan.Planner);
        Assert.Equal(Expected, plan.Steps.Select(s => s.ToString()));
        Assert.Null(response.FailureReason);
        Assert.Equal(2, chat.Calls.Count);
        var retry = chat.Calls[1].Messages[^1];
        Assert.Equal(ChatRole.User, retry.Role);
        Assert.Contains("unknown action 'teleport'", retry.Text, StringComparison.Ordinal);
        Assert.Contains("pick-up, put-down, stack, unstack", retry.Text, StringComparison.Ordinal);
        Assert.Contains(chat.Calls[1].Messages, m => m.Role == ChatRole.Assistant && m.Text.Contains("teleport", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_arguments_missing_arguments_and_unknown_objects_are_rejected_and_sent_back()
    {
        var chat = new ScriptedChatClient(
            """
            {"plans":[{"steps":[
              {"action":"unstack","arguments":[{"name":"x","value":"a"},{"name":"z","value":"b"}]},
              {"action":"put-down","arguments":[{"name":"x","value":"q"}]},
              {"action":"pick-up","arguments":[]}]}]}
            """,
            ValidPlan);

        var response = await Planner(chat).PlanAsync(Blocksworld(), Ct);

        Assert.Equal(Expected, Assert.Single(response.Candidates).Steps.Select(s => s.ToString()));
        var errors = chat.Calls[1].Messages[^1].Text;
        Assert.Contains("plan 1, step 1 (unstack): unknown argument 'z' (the parameters are: x, y)", errors, StringComparison.Ordinal);
        Assert.Contains("plan 1, step 1 (unstack): argument 'y' is missing", errors, StringComparison.Ordinal);
        Assert.Contains("plan 1, step 2 (put-down): 'q' is not an object of the state", errors, StringComparison.Ordinal);
        Assert.Contains("plan 1, step 3 (pick-up): argument 'x' is missing", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_planner_asks_for_structured_plans_in_adaptive_mode_with_the_task_profile()
    {
        var chat = new ScriptedChatClient(ValidPlan);

        await Planner(chat).PlanAsync(Blocksworld() with { Feedback = ["candidate 1 rejected by simulation"] }, Ct);

        var (messages, options) = Assert.Single(chat.Calls);
        Assert.Equal(ThinkingMode.Adaptive, options.GetThinkingMode());
        Assert.Equal(new TaskProfile(PlanDepth: 2, ToolCount: 4, PastFailureRate: 0.25), options.GetTaskProfile());
        var format = Assert.IsType<ChatResponseFormatJson>(options!.ResponseFormat);
        Assert.Contains("\"unstack\"", format.Schema!.Value.GetRawText(), StringComparison.Ordinal);
        var prompt = messages[^1].Text;
        Assert.Contains("- stack(x, y); preconditions (holding ?x) (clear ?y)", prompt, StringComparison.Ordinal);
        Assert.Contains("Goal: (on b a)", prompt, StringComparison.Ordinal);
        Assert.Contains("candidate 1 rejected by simulation", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_prompt_carries_the_recalled_memories_ranked_bounded_and_with_their_provenance()
    {
        var chat = new ScriptedChatClient(ValidPlan);
        var memories = Enumerable.Range(1, 12)
            .Select(i => new PlanningMemory($"m{i}", i == 1 ? "procedural" : "episodic", i == 1 ? "procedure for (on ?x1 ?x2): (unstack ?x2 ?x1)" : new string('x', 1000), $"mission m-{i}, step m-{i}/execute"))
            .ToList();

        await Planner(chat).PlanAsync(Blocksworld() with { Memories = memories }, Ct);

        var prompt = Assert.Single(chat.Calls).Messages[^1].Text;
        Assert.Contains("- [procedural m1; mission m-1, step m-1/execute] procedure for (on ?x1 ?x2): (unstack ?x2 ?x1)", prompt, StringComparison.Ordinal);
        Assert.Contains("[episodic m8;", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("[episodic m9;", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 301), prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_model_the_symbolic_planner_answers()
    {
        var response = await Planner(null).PlanAsync(Blocksworld(), Ct);

        var plan = Assert.Single(response.Candidates);
        Assert.Equal(SymbolicPlanner.PlannerName, plan.Planner);
        Assert.Equal(Expected, plan.Steps.Select(s => s.ToString()));
    }

    [Fact]
    public async Task After_the_last_rejected_answer_the_symbolic_planner_answers()
    {
        var chat = new ScriptedChatClient("I would move the blocks around.");

        var response = await Planner(chat).PlanAsync(Blocksworld(), Ct);

        Assert.Equal(3, chat.Calls.Count);
        Assert.Contains("holds no JSON object", chat.Calls[2].Messages[^1].Text, StringComparison.Ordinal);
        Assert.Equal(SymbolicPlanner.PlannerName, Assert.Single(response.Candidates).Planner);
    }

    [Fact]
    public async Task A_failing_model_leaves_the_plan_to_the_symbolic_planner()
    {
        var chat = new FailingChatClient(new LlmTimeoutException(ThinkingMode.Normal, TimeSpan.FromSeconds(8)));

        var response = await Planner(chat).PlanAsync(Blocksworld(), Ct);

        Assert.Equal(1, chat.Calls);
        Assert.Equal(SymbolicPlanner.PlannerName, Assert.Single(response.Candidates).Planner);
    }

    [Fact]
    public async Task With_fallback_off_no_other_planner_answers_for_the_model()
    {
        var request = Blocksworld() with { AllowFallback = false };
        var noModel = await Planner(null).PlanAsync(request, Ct);
        var rejected = await Planner(new ScriptedChatClient("I would move the blocks around.")).PlanAsync(request, Ct);
        var failing = await Planner(new FailingChatClient(new LlmTimeoutException(ThinkingMode.Normal, TimeSpan.FromSeconds(8)))).PlanAsync(request, Ct);

        foreach (var response in new[] { noModel, rejected, failing })
        {
            Assert.Empty(response.Candidates);
            Assert.Contains("fallback to the symbolic planner is off", response.FailureReason, StringComparison.Ordinal);
        }

        Assert.Contains("GEMINI_API_KEY", noModel.FailureReason, StringComparison.Ordinal);
        Assert.Contains("rejected 3 times", rejected.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Excluded_steps_are_rejected_and_a_failure_names_both_planners_reasons()
    {
        var chat = new ScriptedChatClient(ValidPlan);
        var request = Blocksworld() with { ExcludedSteps = ["(put-down a)"] };

        var response = await Planner(chat).PlanAsync(request, Ct);

        Assert.Contains("Do not use these steps (they are expected to fail): (put-down a)", chat.Calls[0].Messages[^1].Text, StringComparison.Ordinal);
        Assert.Contains("plan 1, step 2: (put-down a) is excluded", chat.Calls[1].Messages[^1].Text, StringComparison.Ordinal);
        Assert.Empty(response.Candidates);
        Assert.StartsWith("the model's plans were rejected 3 times", response.FailureReason, StringComparison.Ordinal);
        Assert.Contains("symbolic planner: goal unreachable", response.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true, true, "symbolic")]
    [InlineData("auto", true, true, "symbolic")]
    [InlineData("auto", true, false, "llm")]
    [InlineData("auto", false, false, "symbolic")]
    [InlineData("llm", true, true, "llm")]
    [InlineData("LLM", false, true, "llm")]
    [InlineData("symbolic", true, false, "symbolic")]
    public void The_router_keeps_symbolic_by_default_and_uses_the_model_when_asked_or_needed(string? asked, bool model, bool effects, string chosen)
    {
        var router = new PlannerRouter(new SymbolicPlanner(), Planner(model ? new ScriptedChatClient(ValidPlan) : null));
        var request = Blocksworld() with { Planner = asked };
        if (!effects)
        {
            request = request with { Actions = [.. request.Actions.Select(a => a with { Preconditions = null, Effects = null })] };
        }

        Assert.Equal(chosen, router.Choose(request));
    }

    [Fact]
    public async Task The_planner_api_uses_the_llm_planner_when_a_model_is_registered_and_the_request_asks()
    {
        var chat = new ScriptedChatClient(ValidPlan);
        using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<IChatClient>(chat)
            .AddPlanning()
            .BuildServiceProvider();
        var operation = Assert.Single(services.GetServices<ServiceOperation>(), o => o.Route == "v1/plans");

        var llm = (PlanningResponse)(await operation.Handler(Call(services, Blocksworld() with { Planner = "llm" })))!;
        var auto = (PlanningResponse)(await operation.Handler(Call(services, Blocksworld())))!;

        Assert.Equal("llm", Assert.Single(llm.Candidates).Planner);
        Assert.Equal("symbolic", Assert.Single(auto.Candidates).Planner);
        Assert.Single(chat.Calls);
    }

    [Fact]
    public void An_unknown_planner_is_bad_input_naming_the_field()
    {
        var error = Assert.Throws<ProblemException>(() => PlannerApi.Validate(Blocksworld() with { Planner = "quantum" }));

        Assert.Equal(400, error.Status);
        Assert.Equal("planner", error.Field);
    }

    private static OperationCall Call(IServiceProvider services, PlanningRequest request) =>
        new(services, new Dictionary<string, string>(), new Dictionary<string, string>(), request, Ct);

    private static LlmPlanner Planner(IChatClient? chat) =>
        new(chat, new SymbolicPlanner(), new LlmPlannerOptions(), NullLogger<LlmPlanner>.Instance);

    /// <summary>Blocksworld with a on b on the table; the goal is b on a.</summary>
    private static PlanningRequest Blocksworld()
    {
        static ContractLiteral L(string predicate, params string[] args) => new(predicate, args);
        static ContractLiteral N(string predicate, params string[] args) => new(predicate, args, Negated: true);
        ActionParameter[] x = [new("x")];
        ActionParameter[] xy = [new("x"), new("y")];
        PluginAction[] actions =
        [
            new("pick-up", x, Preconditions: [L("clear", "?x"), L("ontable", "?x"), L("handempty")],
                Effects: [N("ontable", "?x"), N("clear", "?x"), N("handempty"), L("holding", "?x")]),
            new("put-down", x, Preconditions: [L("holding", "?x")],
                Effects: [N("holding", "?x"), L("clear", "?x"), L("handempty"), L("ontable", "?x")]),
            new("stack", xy, Preconditions: [L("holding", "?x"), L("clear", "?y")],
                Effects: [N("holding", "?x"), N("clear", "?y"), L("clear", "?x"), L("handempty"), L("on", "?x", "?y")]),
            new("unstack", xy, Preconditions: [L("on", "?x", "?y"), L("clear", "?x"), L("handempty")],
                Effects: [L("holding", "?x"), L("clear", "?y"), N("clear", "?x"), N("handempty"), N("on", "?x", "?y")]),
        ];
        var state = new PluginState([new("a"), new("b")], [L("on", "a", "b"), L("ontable", "b"), L("clear", "a"), L("handempty")]);
        return new PlanningRequest(actions, state, [L("on", "b", "a")]);
    }
}
