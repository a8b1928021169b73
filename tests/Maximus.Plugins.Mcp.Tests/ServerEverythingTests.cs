using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;

namespace Maximus.Plugins.Mcp.Tests;

/// <summary>
/// The reference server <c>@modelcontextprotocol/server-everything</c> behind the bridge: tool errors, slow tools with
/// progress, timeouts and cancellation; and servers that exit or never answer. The host stays up through all of them.
/// </summary>
public sealed class ServerEverythingTests
{
    private static Dictionary<string, string?> Everything(int callTimeoutSeconds = 30)
    {
        var settings = BridgeHost.Stdio("everything", McpPeers.Node(), McpPeers.Script("server-everything"), "stdio");
        settings["Maximus:Plugins:Mcp:everything:CallTimeoutSeconds"] = callTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Fact]
    public async Task A_tool_error_is_a_failed_step_with_the_servers_message_and_an_unknown_tool_is_rejected()
    {
        await using var host = await BridgeHost.StartAsync(Everything());

        var sum = await host.ActAsync("everything", "get-sum", new Dictionary<string, string> { ["a"] = "2", ["b"] = "3" });
        Assert.Equal(ActionOutcome.Succeeded, sum.Outcome);
        Assert.Contains("5", sum.Observation);

        var wrong = await host.ActAsync("everything", "get-sum", new Dictionary<string, string> { ["a"] = "\"two\"", ["b"] = "3" });
        Assert.Equal(ActionOutcome.Failed, wrong.Outcome);
        Assert.Contains("everything", wrong.Error);
        Assert.Contains("get-sum", wrong.Error);
        Assert.Contains("number", wrong.Error, StringComparison.OrdinalIgnoreCase);

        var unknown = await host.ActAsync("everything", "no-such-tool", new Dictionary<string, string>());
        Assert.Equal(ActionOutcome.Rejected, unknown.Outcome);
        Assert.Contains("no-such-tool", unknown.Error);
    }

    [Fact]
    public async Task A_slow_tool_that_reports_progress_outlives_the_call_timeout_and_one_that_goes_silent_fails_naming_server_and_tool()
    {
        await using var host = await BridgeHost.StartAsync(Everything(callTimeoutSeconds: 3));

        // 6 s in 24 steps: a progress notification every 0.25 s keeps the 3 s idle clock from running out.
        var slow = await host.ActAsync("everything", "trigger-long-running-operation", new Dictionary<string, string> { ["duration"] = "6", ["steps"] = "24" });
        Assert.True(slow.Outcome == ActionOutcome.Succeeded, slow.Error);
        Assert.Contains("completed", slow.Observation);

        // 8 s in one step: silent for longer than 3 s.
        var silent = await host.ActAsync("everything", "trigger-long-running-operation", new Dictionary<string, string> { ["duration"] = "8", ["steps"] = "1" });
        Assert.Equal(ActionOutcome.Failed, silent.Outcome);
        Assert.Contains("'everything'", silent.Error);
        Assert.Contains("'trigger-long-running-operation'", silent.Error);
        Assert.Contains("within 3 s", silent.Error);

        // The server was cancelled, not killed: it answers the next call.
        var after = await host.ActAsync("everything", "echo", new Dictionary<string, string> { ["message"] = "still here" });
        Assert.Equal(ActionOutcome.Succeeded, after.Outcome);
        Assert.Contains("still here", after.Observation);
    }

    [Fact]
    public async Task A_server_slower_to_start_than_its_call_timeout_is_served_within_its_connect_timeout()
    {
        // The server answers its first message 2 s after it is started; a call may go 1 s without an answer. Starting has
        // its own clock (ConnectTimeoutSeconds, 30 s by default): the listing of its tools is timed from when it answers.
        var settings = BridgeHost.Stdio("slow-start", "/bin/sh", "-c", "sleep 2; exec \"$0\" \"$@\"", McpPeers.Node(), McpPeers.Script("server-everything"), "stdio");
        settings["Maximus:Plugins:Mcp:slow-start:CallTimeoutSeconds"] = "1";
        await using var host = await BridgeHost.StartAsync(settings);

        var echo = await host.ActAsync("slow-start", "echo", new Dictionary<string, string> { ["message"] = "started late" });

        Assert.True(echo.Outcome == ActionOutcome.Succeeded, echo.Error);
        Assert.Contains("started late", echo.Observation);
    }

    [Fact]
    public async Task A_cancelled_call_is_cancelled_at_the_server_and_the_request_id_can_be_tried_again()
    {
        await using var host = await BridgeHost.StartAsync(Everything());
        var bridge = (McpBridge)host.Services.GetService(typeof(McpBridge))!;
        using var cancel = new CancellationTokenSource();
        var request = new ActionRequest("cancel-me", new Dictionary<string, string> { ["duration"] = "30", ["steps"] = "30" }, "everything");

        // Cancelled while the server works on it (the operation reports progress; it would take 30 s).
        cancel.CancelAfter(TimeSpan.FromSeconds(2));
        var cancelled = await bridge.ExecuteAsync("trigger-long-running-operation", request, cancel.Token);

        Assert.Equal(ActionOutcome.Failed, cancelled.Outcome);
        Assert.Contains("cancelled", cancelled.Error);
        Assert.Contains("'everything'", cancelled.Error);
        var retried = await bridge.ExecuteAsync("echo", request with { Arguments = new Dictionary<string, string> { ["message"] = "retry" } }, TestContext.Current.CancellationToken);
        Assert.Equal(ActionOutcome.Succeeded, retried.Outcome);
        Assert.False(retried.Replayed);
    }

    [Fact]
    public async Task Servers_that_exit_or_never_answer_fail_the_step_naming_server_and_tool_and_the_host_stays_up()
    {
        var node = McpPeers.Node();
        var settings = Everything();
        foreach (var (key, value) in BridgeHost.Stdio("exits", node, "-e", "process.exit(3)"))
        {
            settings[key] = value;
        }

        foreach (var (key, value) in BridgeHost.Stdio("mute", node, "-e", "setInterval(() => {}, 1000)"))
        {
            settings[key] = value;
        }

        settings["Maximus:Plugins:Mcp:mute:ConnectTimeoutSeconds"] = "2";
        await using var host = await BridgeHost.StartAsync(settings);

        var exits = await host.ActAsync("exits", "anything", new Dictionary<string, string>());
        Assert.Equal(ActionOutcome.Failed, exits.Outcome);
        Assert.Contains("'exits'", exits.Error);
        Assert.Contains("'anything'", exits.Error);

        var mute = await host.ActAsync("mute", "anything", new Dictionary<string, string>());
        Assert.Equal(ActionOutcome.Failed, mute.Outcome);
        Assert.Contains("'mute'", mute.Error);
        Assert.Contains("'anything'", mute.Error);

        var manifest = await Assert.ThrowsAsync<InvocationException>(() => host.ManifestAsync("exits"));
        Assert.Equal(503, manifest.Status);

        var echo = await host.ActAsync("everything", "echo", new Dictionary<string, string> { ["message"] = "host is up" });
        Assert.Equal(ActionOutcome.Succeeded, echo.Outcome);
    }
}
