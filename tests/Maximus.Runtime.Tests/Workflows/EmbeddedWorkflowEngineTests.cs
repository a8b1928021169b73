using System.Text.Json;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded;
using Maximus.Runtime.Embedded.Workflows;
using Maximus.ServiceDefaults;
using Maximus.Sqlite;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>
/// The embedded workflow engine runs Dapr <c>Workflow&lt;TIn,TOut&gt;</c> classes in process with a SQLite
/// journal: activities, failures, ContinueAsNew, external events, timers, and resuming after a crash.
/// </summary>
public sealed class EmbeddedWorkflowEngineTests : IDisposable
{
    private static readonly TimeSpan TimerGranularity = TimeSpan.FromMilliseconds(15);

    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewInstanceId() => $"wf-{Guid.NewGuid():N}";

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, MaximusJson.Options);

    private static T? Read<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, MaximusJson.Options);

    /// <summary>An instance a killed process left Running, its first steps (StepOne, StepTwo) completed in the journal.</summary>
    private static void LeftRunning(WorkflowJournal journal, string id, string workflow, string input, int completedSteps)
    {
        string[] steps = [nameof(StepOneActivity), nameof(StepTwoActivity)];
        journal.CreateInstance(id, workflow, Json(input));
        journal.SetStatus(id, WorkflowRunStatus.Running);
        var value = input;
        for (var seq = 0; seq < completedSteps; seq++)
        {
            journal.BeginTask(id, 0, seq, "activity", steps[seq], Json(value));
            value += $"-{seq + 1}";
            journal.CompleteTask(id, 0, seq, Json(value));
        }
    }

    /// <summary>From here on, every write of an instance's row is recorded as SQLite sees it (<see cref="RowWrites"/>).</summary>
    private static void RecordRowWrites(SqliteDatabase database) => database.Write(c => Sql.Execute(c, """
        CREATE TABLE row_writes (status TEXT, custom_status TEXT);
        CREATE TRIGGER log_row_writes AFTER UPDATE ON workflow_instance
        BEGIN INSERT INTO row_writes VALUES (NEW.status, NEW.custom_status); END;
        """));

    private static List<(string Status, string? CustomStatus)> RowWrites(SqliteDatabase database)
    {
        using var connection = database.Open();
        using var command = Sql.Command(connection, "SELECT status, custom_status FROM row_writes");
        using var reader = command.ExecuteReader();
        var writes = new List<(string Status, string? CustomStatus)>();
        while (reader.Read())
        {
            writes.Add((reader.GetString(0), reader.IsDBNull(1) ? null : Read<string>(reader.GetString(1))));
        }

        return writes;
    }

    [Fact]
    public async Task A_workflow_runs_its_activities_to_completion_and_returns_their_result()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();

        await host.Engine.ScheduleAsync(nameof(GreetingWorkflow), id, new GreetingRequest("ada", 2), Ct);
        var row = await host.WaitForCompletionAsync(id);
        var info = await host.Engine.GetAsync(id, Ct);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("Hello, ADAADA!", Read<string>(row.Output));
        Assert.NotNull(info);
        Assert.Equal(WorkflowRunStatus.Completed, info.Status);
        Assert.Equal(nameof(GreetingWorkflow), info.WorkflowName);
        Assert.Equal(new GreetingRequest("ada", 2), Read<GreetingRequest>(info.InputJson));
    }

    [Fact]
    public async Task The_journal_lists_each_activity_once_with_one_run()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();

        await host.Engine.ScheduleAsync(nameof(GreetingWorkflow), id, new GreetingRequest("bob", 1), Ct);
        await host.WaitForCompletionAsync(id);
        var journal = host.Journal.LoadEntries(id);

        Assert.Equal([nameof(UppercaseActivity), nameof(RepeatActivity)], journal.Select(e => e.Name));
        Assert.All(journal, e =>
        {
            Assert.Equal("activity", e.Kind);
            Assert.Equal(JournalEntryStatus.Completed, e.Status);
            Assert.Equal(1, e.Runs);
            Assert.NotNull(e.CompletedAt);
        });
        Assert.Equal("BOB", Read<string>(journal[0].Output));
        Assert.Equal(new RepeatRequest("BOB", 1), Read<RepeatRequest>(journal[1].Input));
        Assert.Equal(1, ActivityRuns.Of(id, nameof(UppercaseActivity)));
        Assert.Equal(1, ActivityRuns.Of(id, nameof(RepeatActivity)));
    }

    [Fact]
    public async Task An_activity_that_throws_makes_the_instance_Failed_with_its_message()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();

        await host.Engine.ScheduleAsync(nameof(FailingWorkflow), id, "rocket", Ct);
        var row = await host.WaitForCompletionAsync(id);
        var journal = host.Journal.LoadEntries(id);

        Assert.Equal(WorkflowRunStatus.Failed, row.Status);
        Assert.Contains("the fuse of ROCKET blew", row.Failure, StringComparison.Ordinal);
        Assert.Equal([JournalEntryStatus.Completed, JournalEntryStatus.Failed], journal.Select(e => e.Status));
        Assert.Contains("the fuse of ROCKET blew", journal[1].Error, StringComparison.Ordinal);
        Assert.Equal(1, ActivityRuns.Of(id, nameof(ExplodingActivity)));
    }

    [Fact]
    public async Task ContinueAsNew_restarts_the_workflow_with_the_new_input()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();

        await host.Engine.ScheduleAsync(nameof(CountdownWorkflow), id, new Countdown(2, 0), Ct);
        var row = await host.WaitForCompletionAsync(id);
        var journal = host.Journal.LoadEntries(id);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal(new Countdown(0, 3), Read<Countdown>(row.Output));
        Assert.Equal(2, row.Generation);
        Assert.Equal(new Countdown(0, 2), Read<Countdown>(row.Input));
        Assert.Equal([0, 1, 2], journal.Select(e => e.Generation));
        Assert.Equal([2, 1, 0], journal.Select(e => Read<int>(e.Input)));
        Assert.Equal(3, ActivityRuns.Of(id, nameof(TickActivity)));
    }

    [Fact]
    public async Task WaitForExternalEventAsync_gets_an_event_raised_with_RaiseEventAsync()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();

        await host.Engine.ScheduleAsync(nameof(ApprovalWorkflow), id, "order-7", Ct);
        await WaitUntilAsync(() => host.Journal.LoadEntries(id).Any(e => e.Kind == "event" && e.Status == JournalEntryStatus.Started));
        var waiting = await host.Engine.GetAsync(id, Ct);
        await host.Engine.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(true, "grace"), Ct);
        var row = await host.WaitForCompletionAsync(id);

        Assert.Equal(WorkflowRunStatus.Running, waiting?.Status);
        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("order-7 approved by grace", Read<string>(row.Output));
        var entry = Assert.Single(host.Journal.LoadEntries(id));
        Assert.Equal((TestWorkflows.ApprovalEvent, JournalEntryStatus.Completed), (entry.Name, entry.Status));
    }

    [Fact]
    public async Task An_event_raised_before_the_workflow_waits_for_it_is_not_lost()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();
        host.Journal.CreateInstance(id, nameof(ApprovalWorkflow), Json("order-8"));

        await host.Engine.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(false, "linus"), Ct);
        await host.Engine.ResumeAsync(id, Ct);
        var row = await host.WaitForCompletionAsync(id);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("order-8 rejected by linus", Read<string>(row.Output));
    }

    [Fact]
    public async Task A_timer_completes_after_its_time()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();

        await host.Engine.ScheduleAsync(nameof(NapWorkflow), id, 150, Ct);
        var row = await host.WaitForCompletionAsync(id);
        var timer = Assert.Single(host.Journal.LoadEntries(id));
        var fireAt = Read<DateTime>(timer.Input);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal(("timer", JournalEntryStatus.Completed), (timer.Kind, timer.Status));
        Assert.Equal(row.CreatedAt.UtcDateTime.AddMilliseconds(150), fireAt, TimeSpan.FromMilliseconds(1));
        // Timer granularity: Task.Delay may return a few milliseconds early (see the report); a durable timer must not fire much earlier.
        Assert.True(
            timer.CompletedAt >= new DateTimeOffset(fireAt) - TimerGranularity,
            $"the timer completed at {timer.CompletedAt:O}, before its fire time {fireAt:O}");
        Assert.Equal(fireAt, Read<DateTime>(row.Output));
    }

    [Fact]
    public async Task Resuming_an_interrupted_instance_does_not_run_its_completed_activities_again()
    {
        // The crash: a previous process completed StepOne (journaled with its output) and was killed inside StepTwo.
        var id = NewInstanceId();
        var journal = new WorkflowJournal(new SqliteDatabase(_directory.File("maximus.db")));
        journal.CreateInstance(id, nameof(ThreeStepWorkflow), Json("parcel"));
        journal.SetStatus(id, WorkflowRunStatus.Running);
        journal.BeginTask(id, 0, 0, "activity", nameof(StepOneActivity), Json("parcel"));
        journal.CompleteTask(id, 0, 0, Json("parcel-from-journal"));
        journal.BeginTask(id, 0, 1, "activity", nameof(StepTwoActivity), Json("parcel-from-journal"));

        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        await host.Engine.ResumeAsync(id, Ct);
        var row = await host.WaitForCompletionAsync(id);
        var entries = host.Journal.LoadEntries(id);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("parcel-from-journal-2-3", Read<string>(row.Output));
        Assert.Equal(0, ActivityRuns.Of(id, nameof(StepOneActivity)));
        Assert.Equal(1, ActivityRuns.Of(id, nameof(StepTwoActivity)));
        Assert.Equal(1, ActivityRuns.Of(id, nameof(StepThreeActivity)));
        Assert.Equal([1, 2, 1], entries.Select(e => e.Runs));
        Assert.All(entries, e => Assert.Equal(JournalEntryStatus.Completed, e.Status));
    }

    [Fact]
    public async Task An_event_consumed_right_before_a_crash_is_not_lost_when_the_instance_resumes()
    {
        // The crash: the previous process took the event and died right after. Taking the event and completing
        // the waiting task are one transaction, so the resumed instance replays the wait with the event.
        var id = NewInstanceId();
        var journal = new WorkflowJournal(new SqliteDatabase(_directory.File("maximus.db")));
        journal.CreateInstance(id, nameof(PatientApprovalWorkflow), Json("order-9"));
        journal.SetStatus(id, WorkflowRunStatus.Running);
        journal.BeginTask(id, 0, 0, "event", TestWorkflows.ApprovalEvent, null);
        journal.AddEvent(id, TestWorkflows.ApprovalEvent, Json(new ApprovalDecision(true, "ken")));
        Assert.True(journal.TryConsumeEvent(id, 0, TestWorkflows.ApprovalEvent, 0, out _, out _));
        Assert.Equal(JournalEntryStatus.Completed, Assert.Single(journal.LoadEntries(id)).Status);

        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        await host.Engine.ResumeAsync(id, Ct);
        var row = await host.WaitForCompletionAsync(id);

        Assert.True(row.Status == WorkflowRunStatus.Completed, $"the resumed instance ended {row.Status}: {row.Failure}");
        Assert.Equal("order-9 approved by ken", Read<string>(row.Output));
    }

    [Fact]
    public async Task A_graceful_stop_parks_the_instances_in_flight_instead_of_failing_them()
    {
        Gate.Reset();
        var id = NewInstanceId();
        var host = await WorkflowTestHost.StartAsync(_directory.Path);
        await host.Engine.ScheduleAsync(nameof(GatedWorkflow), id, "job", Ct);
        await Gate.Entered.WaitAsync(TimeSpan.FromSeconds(15), Ct);

        // The host stops (SIGTERM) while the activity runs; its dependency shuts down under it and it fails.
        var stopping = host.DisposeAsync().AsTask();
        while (!host.Engine.Stopping)
        {
            await Task.Delay(5, Ct);
        }

        Gate.Release(fail: true);
        await stopping.WaitAsync(TimeSpan.FromSeconds(15), Ct);

        var journal = new WorkflowJournal(new SqliteDatabase(_directory.File("maximus.db")));
        var parked = journal.GetInstance(id)!;
        Assert.Equal(WorkflowRunStatus.Running, parked.Status);
        Assert.Null(parked.Failure);

        // The next start resumes it: the activity runs again and the workflow completes.
        Gate.Reset();
        Gate.Release(fail: false);
        await using var again = await WorkflowTestHost.StartAsync(_directory.Path, resumeOnStart: true);
        var row = await again.WaitForCompletionAsync(id);
        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("JOB-PASSED", Read<string>(row.Output));
        Assert.Equal(2, ActivityRuns.Of(id, nameof(GatedActivity)));
    }

    [Fact]
    public async Task A_new_engine_resumes_instances_left_running_when_it_starts()
    {
        var id = NewInstanceId();
        var journal = new WorkflowJournal(new SqliteDatabase(_directory.File("maximus.db")));
        journal.CreateInstance(id, nameof(ThreeStepWorkflow), Json("box"));
        journal.SetStatus(id, WorkflowRunStatus.Running);
        journal.BeginTask(id, 0, 0, "activity", nameof(StepOneActivity), Json("box"));
        journal.CompleteTask(id, 0, 0, Json("box-1"));
        journal.BeginTask(id, 0, 1, "activity", nameof(StepTwoActivity), Json("box-1"));
        journal.CompleteTask(id, 0, 1, Json("box-1-2"));

        await using var host = await WorkflowTestHost.StartAsync(_directory.Path, resumeOnStart: true);
        var row = await host.WaitForCompletionAsync(id);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("box-1-2-3", Read<string>(row.Output));
        Assert.Equal(0, ActivityRuns.Of(id, nameof(StepOneActivity)));
        Assert.Equal(0, ActivityRuns.Of(id, nameof(StepTwoActivity)));
        Assert.Equal(1, ActivityRuns.Of(id, nameof(StepThreeActivity)));
    }

    [Fact]
    public async Task A_resumed_instance_rewrites_no_custom_status_it_replays_and_writes_the_new_ones()
    {
        // The crash: StepOne and StepTwo completed, StepThree begun; the status the instance had set last is "step-3".
        var id = NewInstanceId();
        var database = new SqliteDatabase(_directory.File("maximus.db"));
        var journal = new WorkflowJournal(database);
        LeftRunning(journal, id, nameof(StatusStepsWorkflow), "crate", completedSteps: 2);
        journal.BeginTask(id, 0, 2, "activity", nameof(StepThreeActivity), Json("crate-1-2"));
        journal.SetCustomStatus(id, Json("step-3"));
        RecordRowWrites(database);

        await using var host = await WorkflowTestHost.StartAsync(_directory.Path, resumeOnStart: true);
        var row = await host.WaitForCompletionAsync(id);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("crate-1-2-3", Read<string>(row.Output));
        Assert.Equal("done", Read<string>(row.CustomStatus));

        // Resuming wrote neither "Running" again nor the replayed "step-1"/"step-2"/"step-3": only the new "done", then the end.
        Assert.Equal([("Running", "done"), ("Completed", "done")], RowWrites(database));
    }

    [Fact]
    public async Task A_resume_with_a_stale_custom_status_writes_the_one_the_replay_ends_with()
    {
        // The crash came after StepTwo completed and before the instance had set "step-3" (the row still says "step-1").
        var id = NewInstanceId();
        var database = new SqliteDatabase(_directory.File("maximus.db"));
        var journal = new WorkflowJournal(database);
        LeftRunning(journal, id, nameof(StatusStepsWorkflow), "tin", completedSteps: 2);
        journal.SetCustomStatus(id, Json("step-1"));
        RecordRowWrites(database);

        await using var host = await WorkflowTestHost.StartAsync(_directory.Path, resumeOnStart: true);
        var row = await host.WaitForCompletionAsync(id);

        Assert.Equal(WorkflowRunStatus.Completed, row.Status);
        Assert.Equal("done", Read<string>(row.CustomStatus));
        Assert.Equal(1, ActivityRuns.Of(id, nameof(StepThreeActivity)));

        // "step-3" (the status the replay ended with) is written before StepThree runs; "step-2" is not.
        Assert.Equal(["step-3", "done", "done"], RowWrites(database).Select(w => w.CustomStatus));
    }

    [Fact]
    public async Task Instances_left_running_resume_in_waves_oldest_first_and_all_complete()
    {
        var journal = new WorkflowJournal(new SqliteDatabase(_directory.File("maximus.db")));
        var ended = NewInstanceId();
        journal.CreateInstance(ended, nameof(ThreeStepWorkflow), Json("old"));
        journal.SetStatus(ended, WorkflowRunStatus.Completed, Json("old-1-2-3"));
        var left = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var id = $"wave-{i}-{Guid.NewGuid():N}";
            if (i % 2 == 0)
            {
                LeftRunning(journal, id, nameof(ThreeStepWorkflow), $"box{i}", completedSteps: 1);
            }
            else
            {
                journal.CreateInstance(id, nameof(ThreeStepWorkflow), Json($"box{i}"));
            }

            left.Add(id);
            await Task.Delay(2, Ct);
        }

        Assert.Equal(left, journal.ListUnfinished().Select(r => r.InstanceId));

        await using var host = await WorkflowTestHost.StartAsync(_directory.Path, resumeOnStart: true, resumeWave: 2);
        for (var i = 0; i < left.Count; i++)
        {
            var row = await host.WaitForCompletionAsync(left[i]);
            Assert.Equal(WorkflowRunStatus.Completed, row.Status);
            Assert.Equal($"box{i}-1-2-3", Read<string>(row.Output));
            Assert.Equal(i % 2 == 0 ? 0 : 1, ActivityRuns.Of(left[i], nameof(StepOneActivity)));
        }

        Assert.Empty(host.Journal.ListUnfinished());
        Assert.Equal(0, ActivityRuns.Of(ended, nameof(StepOneActivity)));
    }

    [Fact]
    public async Task Activities_beyond_MaxConcurrentActivities_wait_for_a_slot_and_all_complete()
    {
        Held.Reset();
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path, maxConcurrentActivities: 2);
        var ids = Enumerable.Range(0, 6).Select(_ => NewInstanceId()).ToList();
        foreach (var id in ids)
        {
            await host.Engine.ScheduleAsync(nameof(HeldWorkflow), id, id, Ct);
        }

        // Two hold their slots; the four others have been scheduled and wait (unbounded, all six would run: the wait times out).
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            limit.CancelAfter(TimeSpan.FromSeconds(15));
            while (host.Engine.ActivitiesWaiting < 4 || Held.Running < 2)
            {
                await Task.Delay(5, limit.Token);
            }
        }

        Assert.Equal(2, Held.Running);
        Assert.Equal(2, host.Engine.ActivitiesRunning);

        Held.ReleaseAll();
        foreach (var id in ids)
        {
            var row = await host.WaitForCompletionAsync(id);
            Assert.Equal(WorkflowRunStatus.Completed, row.Status);
            Assert.Equal(id + "-held", Read<string>(row.Output));
        }

        Assert.Equal(2, Held.MostAtOnce);
        Assert.Equal(0, host.Engine.ActivitiesRunning);
        Assert.Equal(0, host.Engine.ActivitiesWaiting);
    }

    [Fact]
    public async Task Scheduling_an_unknown_workflow_or_an_existing_instance_id_is_refused()
    {
        await using var host = await WorkflowTestHost.StartAsync(_directory.Path);
        var id = NewInstanceId();
        await host.Engine.ScheduleAsync(nameof(GreetingWorkflow), id, new GreetingRequest("eve", 1), Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => host.Engine.ScheduleAsync("NoSuchWorkflow", NewInstanceId(), "x", Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            host.Engine.ScheduleAsync(nameof(GreetingWorkflow), id, new GreetingRequest("eve", 1), Ct));
        Assert.Equal(WorkflowRunStatus.Completed, (await host.WaitForCompletionAsync(id)).Status);
        Assert.Equal(1, ActivityRuns.Of(id, nameof(UppercaseActivity)));
    }

    public void Dispose() => _directory.Dispose();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 10 s.");
            await Task.Delay(10, Ct);
        }
    }
}
