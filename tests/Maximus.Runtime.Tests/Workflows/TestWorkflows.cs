using System.Collections.Concurrent;
using Dapr.Workflow;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>How often each activity ran, per workflow instance (instance ids are unique per test).</summary>
public static class ActivityRuns
{
    private static readonly ConcurrentDictionary<(string InstanceId, string Activity), int> Runs = new();

    public static void Record(WorkflowActivityContext context, string activity) =>
        Runs.AddOrUpdate((context.InstanceId, activity), 1, (_, n) => n + 1);

    public static int Of(string instanceId, string activity) => Runs.GetValueOrDefault((instanceId, activity));
}

public static class TestWorkflows
{
    public const string ApprovalEvent = "approval";

    /// <summary>Registers the test workflows and their activities, as a module does.</summary>
    public static IServiceCollection AddTestWorkflows(this IServiceCollection services) => services
        .AddWorkflow<GreetingWorkflow>(typeof(UppercaseActivity), typeof(RepeatActivity))
        .AddWorkflow<FailingWorkflow>(typeof(UppercaseActivity), typeof(ExplodingActivity))
        .AddWorkflow<CountdownWorkflow>(typeof(TickActivity))
        .AddWorkflow<ApprovalWorkflow>()
        .AddWorkflow<PatientApprovalWorkflow>()
        .AddWorkflow<NapWorkflow>()
        .AddWorkflow<ThreeStepWorkflow>(typeof(StepOneActivity), typeof(StepTwoActivity), typeof(StepThreeActivity))
        .AddWorkflow<StatusStepsWorkflow>(typeof(StepOneActivity), typeof(StepTwoActivity), typeof(StepThreeActivity))
        .AddWorkflow<GatedWorkflow>(typeof(GatedActivity), typeof(UppercaseActivity))
        .AddWorkflow<HeldWorkflow>(typeof(HeldActivity));
}

public sealed record GreetingRequest(string Name, int Times);

public sealed record RepeatRequest(string Text, int Times);

public sealed record Countdown(int Remaining, int Ticks);

public sealed record ApprovalDecision(bool Approved, string By);

/// <summary>Two activities in a row: the output of the first is the input of the second.</summary>
public sealed class GreetingWorkflow : Workflow<GreetingRequest, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, GreetingRequest input)
    {
        var upper = await context.CallActivityAsync<string>(nameof(UppercaseActivity), input.Name);
        var repeated = await context.CallActivityAsync<string>(nameof(RepeatActivity), new RepeatRequest(upper, input.Times));
        return $"Hello, {repeated}!";
    }
}

public sealed class FailingWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var upper = await context.CallActivityAsync<string>(nameof(UppercaseActivity), input);
        return await context.CallActivityAsync<string>(nameof(ExplodingActivity), upper);
    }
}

/// <summary>One tick per generation; continues as new until nothing remains.</summary>
public sealed class CountdownWorkflow : Workflow<Countdown, Countdown>
{
    public override async Task<Countdown> RunAsync(WorkflowContext context, Countdown input)
    {
        var remaining = await context.CallActivityAsync<int>(nameof(TickActivity), input.Remaining);
        if (remaining > 0)
        {
            context.ContinueAsNew(new Countdown(remaining - 1, input.Ticks + 1));
            return input;
        }

        return input with { Ticks = input.Ticks + 1 };
    }
}

public sealed class ApprovalWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var decision = await context.WaitForExternalEventAsync<ApprovalDecision>(TestWorkflows.ApprovalEvent);
        return $"{input} {(decision.Approved ? "approved" : "rejected")} by {decision.By}";
    }
}

/// <summary>Like <see cref="ApprovalWorkflow"/>, but gives up (and fails) after two seconds without a decision.</summary>
public sealed class PatientApprovalWorkflow : Workflow<string, string>
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var decision = await context.WaitForExternalEventAsync<ApprovalDecision>(TestWorkflows.ApprovalEvent, Patience);
        return $"{input} {(decision.Approved ? "approved" : "rejected")} by {decision.By}";
    }
}

/// <summary>Sleeps on a durable timer for <c>input</c> milliseconds of workflow time, and returns the time after it.</summary>
public sealed class NapWorkflow : Workflow<int, DateTime>
{
    public override async Task<DateTime> RunAsync(WorkflowContext context, int input)
    {
        await context.CreateTimer(context.CurrentUtcDateTime.AddMilliseconds(input), CancellationToken.None);
        return context.CurrentUtcDateTime;
    }
}

public sealed class ThreeStepWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var one = await context.CallActivityAsync<string>(nameof(StepOneActivity), input);
        var two = await context.CallActivityAsync<string>(nameof(StepTwoActivity), one);
        return await context.CallActivityAsync<string>(nameof(StepThreeActivity), two);
    }
}

/// <summary><see cref="ThreeStepWorkflow"/> that sets a custom status before each step and when done.</summary>
public sealed class StatusStepsWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        context.SetCustomStatus("step-1");
        var one = await context.CallActivityAsync<string>(nameof(StepOneActivity), input);
        context.SetCustomStatus("step-2");
        var two = await context.CallActivityAsync<string>(nameof(StepTwoActivity), one);
        context.SetCustomStatus("step-3");
        var three = await context.CallActivityAsync<string>(nameof(StepThreeActivity), two);
        context.SetCustomStatus("done");
        return three;
    }
}

public sealed class UppercaseActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityRuns.Record(context, nameof(UppercaseActivity));
        return Task.FromResult(input.ToUpperInvariant());
    }
}

public sealed class RepeatActivity : WorkflowActivity<RepeatRequest, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, RepeatRequest input)
    {
        ActivityRuns.Record(context, nameof(RepeatActivity));
        return Task.FromResult(string.Concat(Enumerable.Repeat(input.Text, input.Times)));
    }
}

public sealed class ExplodingActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityRuns.Record(context, nameof(ExplodingActivity));
        throw new InvalidOperationException($"the fuse of {input} blew");
    }
}

public sealed class TickActivity : WorkflowActivity<int, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, int input)
    {
        ActivityRuns.Record(context, nameof(TickActivity));
        return Task.FromResult(input);
    }
}

public sealed class StepOneActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityRuns.Record(context, nameof(StepOneActivity));
        return Task.FromResult(input + "-1");
    }
}

public sealed class StepTwoActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityRuns.Record(context, nameof(StepTwoActivity));
        return Task.FromResult(input + "-2");
    }
}

public sealed class StepThreeActivity : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityRuns.Record(context, nameof(StepThreeActivity));
        return Task.FromResult(input + "-3");
    }
}

/// <summary>An activity held at a gate; released with a failure it fails like a dependency that shuts down under it.</summary>
public static class Gate
{
    private static TaskCompletionSource<bool> _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static TaskCompletionSource<bool> _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task Entered => _entered.Task;

    public static void Reset()
    {
        _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Lets the waiting (and every later) run through: with <paramref name="fail"/> it throws.</summary>
    public static void Release(bool fail) => _release.TrySetResult(fail);

    public static async Task PassAsync()
    {
        _entered.TrySetResult(true);
        if (await _release.Task.ConfigureAwait(false))
        {
            throw new InvalidOperationException("The embedded event bus is shut down.");
        }
    }
}

public sealed class GatedWorkflow : Workflow<string, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, string input)
    {
        var gated = await context.CallActivityAsync<string>(nameof(GatedActivity), input);
        return await context.CallActivityAsync<string>(nameof(UppercaseActivity), gated);
    }
}

public sealed class GatedActivity : WorkflowActivity<string, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        ActivityRuns.Record(context, nameof(GatedActivity));
        await Gate.PassAsync();
        return input + "-passed";
    }
}

/// <summary>Activities held until released, counting how many run at the same time.</summary>
public static class Held
{
    private static TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly Lock Counts = new();
    private static int _running;
    private static int _most;

    public static int Running
    {
        get
        {
            lock (Counts)
            {
                return _running;
            }
        }
    }

    public static int MostAtOnce
    {
        get
        {
            lock (Counts)
            {
                return _most;
            }
        }
    }

    public static void Reset()
    {
        _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Counts)
        {
            _running = 0;
            _most = 0;
        }
    }

    public static void ReleaseAll() => _release.TrySetResult();

    public static async Task HoldAsync()
    {
        lock (Counts)
        {
            _most = Math.Max(_most, ++_running);
        }

        await _release.Task.ConfigureAwait(false);
        lock (Counts)
        {
            _running--;
        }
    }
}

public sealed class HeldWorkflow : Workflow<string, string>
{
    public override Task<string> RunAsync(WorkflowContext context, string input) => context.CallActivityAsync<string>(nameof(HeldActivity), input);
}

public sealed class HeldActivity : WorkflowActivity<string, string>
{
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        await Held.HoldAsync();
        return input + "-held";
    }
}
