using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Plugins.Pddl;

namespace Maximus.Planning.Tests;

/// <summary>Finds the shared PlanBench fixtures (never copied into the repository) and replays plans.</summary>
internal static class PlanBench
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The fixture folder of a domain; skips the test when <c>../shared/fixtures</c> is absent.</summary>
    public static string RequireDomain(string domain)
    {
        var folder = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures", "planbench", domain));
        if (!Directory.Exists(Path.Combine(folder, "instances")))
        {
            Assert.Skip($"../shared/fixtures not present: {folder}");
        }

        return folder;
    }

    public static PlanningRequest Request(PddlEnvironment environment, int maxCandidates = 1, int nodeLimit = 200_000, int timeLimitMs = 10_000)
    {
        var state = environment.State();
        return new PlanningRequest(
            environment.Manifest("pddl", "1").Actions,
            state,
            state.Goal ?? [],
            maxCandidates,
            nodeLimit,
            timeLimitMs);
    }

    /// <summary>Applies the plan to the environment; every step must succeed.</summary>
    public static void Replay(PddlEnvironment environment, IReadOnlyList<PlanStep> steps, string label)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            var result = environment.Apply(new ActionRequest($"{label}-{i}", steps[i].ArgumentMap()), steps[i].Action);
            Assert.True(result.Outcome == ActionOutcome.Succeeded, $"{label}: step {i} {steps[i]} {result.Outcome}: {result.Error}");
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maximus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no directory containing Maximus.sln above {AppContext.BaseDirectory}");
    }
}
