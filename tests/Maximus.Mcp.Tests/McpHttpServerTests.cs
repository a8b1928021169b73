using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Maximus.Mcp.Tests;

/// <summary>One host for the tests of <see cref="McpHttpServerTests"/>.</summary>
public sealed class SharedMcpHost : IAsyncDisposable
{
    public McpHost Host { get; } = new();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

/// <summary>
/// The official C# SDK's client against <c>/mcp</c> (Streamable HTTP, stateless) of Maximus.Host with every role on
/// the embedded runtime: the tools, their schemas, the resources, and bad input answered without taking the host down.
/// </summary>
public sealed class McpHttpServerTests(SharedMcpHost shared) : IClassFixture<SharedMcpHost>
{
    private static readonly string[] ToolNames =
        ["memory_search", "memory_add", "memory_forget", "mission_start", "mission_status", "mission_approve", "plan_simulate", "plugins_list"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tools_list_names_every_tool_with_an_object_schema_and_a_description()
    {
        await using var client = await shared.Host.ConnectAsync();

        var tools = await client.ListToolsAsync(cancellationToken: Ct);

        Assert.Equal(ToolNames.Order(), tools.Select(t => t.Name).Order());
        foreach (var tool in tools)
        {
            Assert.Equal("object", tool.ProtocolTool.InputSchema.GetProperty("type").GetString());
            Assert.True(tool.Description.Length > 80, $"{tool.Name}'s description is too short to guide a model.");
        }

        var search = tools.Single(t => t.Name == "memory_search").ProtocolTool.InputSchema;
        Assert.Equal(["query"], search.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Memory_add_offers_every_writable_type_but_the_vault()
    {
        await using var client = await shared.Host.ConnectAsync();

        var tools = await client.ListToolsAsync(cancellationToken: Ct);

        var type = tools.Single(t => t.Name == "memory_add").ProtocolTool.InputSchema.GetProperty("properties").GetProperty("type");
        Assert.Equal(
            ["core", "episodic", "procedural", "resource", "semantic"],
            type.GetProperty("enum").EnumerateArray().Select(e => e.GetString()).Order());
    }

    [Fact]
    public async Task Mission_start_on_pddl_text_reaches_the_goal_and_reports_its_phases()
    {
        await using var client = await shared.Host.ConnectAsync();
        var progress = new ConcurrentQueue<ProgressNotificationValue>();
        // The client hands notifications to handlers on the thread pool and drops a call's own progress handler when the
        // result arrives, so a last notification can miss an IProgress given to CallToolAsync. A handler registered for
        // the session sees every notification the server sent for this call's token.
        var token = new ProgressToken($"test-{Guid.NewGuid():N}");
        await using var registration = client.RegisterNotificationHandler(NotificationMethods.ProgressNotification, (notification, _) =>
        {
            var value = notification.Params.Deserialize<ProgressNotificationParams>(McpJsonUtilities.DefaultOptions);
            if (value is not null && value.ProgressToken == token)
            {
                progress.Enqueue(value.Progress);
            }

            return ValueTask.CompletedTask;
        });

        var result = await client.CallToolAsync("mission_start", Results.BlocksworldArguments(), options: new RequestOptions { ProgressToken = token }, cancellationToken: Ct);

        var outcome = result.Structured();
        Assert.True(outcome.GetProperty("goalReached").GetBoolean(), result.Text());
        Assert.Equal("Succeeded", outcome.GetProperty("status").GetString());
        Assert.Equal(8, outcome.GetProperty("plan").GetArrayLength());
        Assert.Equal("pddl-env", outcome.GetProperty("pluginAppId").GetString());
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        while (!progress.Any(p => p.Message!.EndsWith("Succeeded", StringComparison.Ordinal)) && !patience.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }

        Assert.Contains(progress, p => p.Message!.EndsWith("Succeeded", StringComparison.Ordinal));
        Assert.True(progress.Count >= 2, $"progress: {string.Join(" | ", progress.Select(p => p.Message))}");
    }

    [Fact]
    public async Task Cancelling_mission_start_stops_the_waiting_and_the_mission_runs_to_its_end()
    {
        await using var client = await shared.Host.ConnectAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new Progress(p =>
        {
            if (p.Message is { } m && m.EndsWith(": started", StringComparison.Ordinal))
            {
                started.TrySetResult(m["mission ".Length..m.IndexOf(':', StringComparison.Ordinal)]);
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CallToolAsync("mission_start", Results.BlocksworldArguments(), progress, cancellationToken: cancel.Token).AsTask());

        var missionId = await started.Task.WaitAsync(Ct);
        JsonElement status;
        do
        {
            await Task.Delay(50, Ct);
            status = (await client.CallToolAsync("mission_status", new Dictionary<string, object?> { ["missionId"] = missionId }, cancellationToken: Ct)).Structured();
        }
        while (status.GetProperty("status").GetString() is not ("Succeeded" or "Failed"));

        Assert.True(status.GetProperty("result").GetProperty("goalReached").GetBoolean());
    }

    [Fact]
    public async Task A_mission_resource_holds_its_result_and_its_journal()
    {
        await using var client = await shared.Host.ConnectAsync();
        var started = (await client.CallToolAsync("mission_start", Results.BlocksworldArguments(), cancellationToken: Ct)).Structured();
        var missionId = started.GetProperty("missionId").GetString()!;

        var read = await client.ReadResourceAsync($"maximus://missions/{missionId}", cancellationToken: Ct);

        var text = Assert.IsType<ModelContextProtocol.Protocol.TextResourceContents>(Assert.Single(read.Contents)).Text;
        using var json = JsonDocument.Parse(text);
        Assert.Equal("Succeeded", json.RootElement.GetProperty("mission").GetProperty("status").GetString());
        var journal = json.RootElement.GetProperty("journal").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("SimulateActivity", journal);
        Assert.Contains("ExecuteStepActivity", journal);

        var status = (await client.CallToolAsync("mission_status", new Dictionary<string, object?> { ["missionId"] = missionId }, cancellationToken: Ct)).Structured();
        Assert.True(status.GetProperty("result").GetProperty("goalReached").GetBoolean());
    }

    [Fact]
    public async Task Plan_simulate_returns_candidates_and_their_predicted_outcome_without_acting()
    {
        await using var client = await shared.Host.ConnectAsync();

        var simulation = (await client.CallToolAsync("plan_simulate", Results.BlocksworldArguments(), cancellationToken: Ct)).Structured();

        var candidates = simulation.GetProperty("candidates").EnumerateArray().ToList();
        Assert.NotEmpty(candidates);
        var best = candidates[simulation.GetProperty("best").GetInt32()];
        Assert.True(best.GetProperty("simulation").GetProperty("valid").GetBoolean());
        Assert.True(best.GetProperty("simulation").GetProperty("goalReached").GetBoolean());
        Assert.Equal(best.GetProperty("steps").GetArrayLength(), best.GetProperty("simulation").GetProperty("steps").GetArrayLength());

        // Nothing was executed: the environment has applied no action.
        using var http = shared.Host.CreateClient();
        var environment = await http.GetFromJsonAsync<JsonElement>($"/pddl-env/v1/environments/{simulation.GetProperty("context").GetString()}", Ct);
        Assert.Equal(0, environment.GetProperty("appliedRequestIds").GetArrayLength());
    }

    [Fact]
    public async Task Memory_written_through_the_tools_is_found_then_forgotten()
    {
        await using var client = await shared.Host.ConnectAsync();
        const string agent = "mcp-memory";

        var added = (await client.CallToolAsync("memory_add", new Dictionary<string, object?>
        {
            ["type"] = "semantic", ["text"] = "the red pallet is in bay seven", ["subject"] = "red pallet", ["predicate"] = "is in", ["object"] = "bay seven",
            ["agentId"] = agent,
        }, cancellationToken: Ct)).Structured();
        var id = added.GetProperty("entry").GetProperty("id").GetString()!;

        var found = (await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "where is the red pallet", ["agentId"] = agent }, cancellationToken: Ct))
            .Structured();
        Assert.Contains(found.GetProperty("hits").EnumerateArray(), h => h.GetProperty("entry").GetProperty("id").GetString() == id);

        var forgotten = (await client.CallToolAsync("memory_forget", new Dictionary<string, object?> { ["id"] = id, ["agentId"] = agent }, cancellationToken: Ct)).Structured();
        Assert.True(forgotten.GetProperty("removed").GetBoolean());
        var after = (await client.CallToolAsync("memory_search", new Dictionary<string, object?> { ["query"] = "where is the red pallet", ["agentId"] = agent }, cancellationToken: Ct))
            .Structured();
        Assert.DoesNotContain(after.GetProperty("hits").EnumerateArray(), h => h.GetProperty("entry").GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task A_core_block_written_with_memory_add_is_the_agents_core_memory_resource()
    {
        await using var client = await shared.Host.ConnectAsync();

        (await client.CallToolAsync("memory_add", new Dictionary<string, object?>
        {
            ["type"] = "core", ["block"] = "persona", ["text"] = "A careful warehouse robot.", ["agentId"] = "mcp-core",
        }, cancellationToken: Ct)).Structured();
        var read = await client.ReadResourceAsync("maximus://agents/mcp-core/core", cancellationToken: Ct);

        var text = Assert.IsType<ModelContextProtocol.Protocol.TextResourceContents>(Assert.Single(read.Contents)).Text;
        Assert.Contains("A careful warehouse robot.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plugins_list_shows_the_pddl_plugin_and_its_actions_in_an_environment()
    {
        await using var client = await shared.Host.ConnectAsync();
        var simulation = (await client.CallToolAsync("plan_simulate", Results.BlocksworldArguments(), cancellationToken: Ct)).Structured();

        var list = (await client.CallToolAsync("plugins_list", new Dictionary<string, object?> { ["context"] = simulation.GetProperty("context").GetString() }, cancellationToken: Ct))
            .Structured();

        var pddl = Assert.Single(list.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("appId").GetString() == "pddl-env");
        Assert.Equal(
            ["pick-up", "put-down", "stack", "unstack"],
            pddl.GetProperty("manifest").GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("name").GetString()).Order());
    }

    [Fact]
    public async Task An_unknown_tool_is_a_protocol_error_and_the_host_keeps_serving()
    {
        await using var client = await shared.Host.ConnectAsync();

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("memory_teleport", new Dictionary<string, object?>(), cancellationToken: Ct).AsTask());

        Assert.Contains("memory_teleport", error.Message, StringComparison.Ordinal);
        Assert.Equal(8, (await client.ListToolsAsync(cancellationToken: Ct)).Count);
    }

    [Theory]
    [InlineData("memory_search", """{"agentId": "x"}""", "query")]
    [InlineData("memory_search", """{"query": "q", "k": "ten"}""", "k")]
    [InlineData("memory_add", """{"type": "vault", "text": "the password"}""", "type")]
    [InlineData("memory_add", """{"type": "semantic", "text": "a fact without parts"}""", "subject")]
    [InlineData("mission_start", """{"domain": "(define (domain d))"}""", "problem")]
    [InlineData("mission_start", """{"domain": "(define (domain", "problem": "(define (problem p))"}""", "domain")]
    [InlineData("mission_status", """{"missionId": "m-that-never-was"}""", "m-that-never-was")]
    [InlineData("mission_approve", """{"missionId": "m-that-never-was", "approved": true}""", "m-that-never-was")]
    public async Task Arguments_that_do_not_fit_are_a_tool_error_naming_what_is_wrong(string tool, string arguments, string named)
    {
        await using var client = await shared.Host.ConnectAsync();

        var result = await client.CallToolAsync(tool, JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments)!, cancellationToken: Ct);

        Assert.True(result.IsError, result.Text());
        Assert.True(result.Text().Contains(named, StringComparison.Ordinal), result.Text());
        Assert.Equal(8, (await client.ListToolsAsync(cancellationToken: Ct)).Count);
    }

    private sealed class Progress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}

/// <summary>/mcp is behind the API token like every other route of the host.</summary>
public sealed class McpApiTokenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Mcp_needs_the_api_token_when_one_is_set()
    {
        await using var host = new McpHost(new Dictionary<string, string> { ["APP_API_TOKEN"] = "s3cret" });
        using var http = host.CreateClient();

        using var refused = await http.PostAsJsonAsync("/mcp", new { jsonrpc = "2.0", id = 1, method = "tools/list" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        await using var client = await host.ConnectAsync(new Dictionary<string, string> { ["dapr-api-token"] = "s3cret" });
        Assert.Equal(8, (await client.ListToolsAsync(cancellationToken: Ct)).Count);
    }
}
