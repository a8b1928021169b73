using System.Text.Json;
using Maximus.Planning.Symbolic;
using Maximus.Plugins.Pddl;

namespace Maximus.Planning.Tests;

public sealed class PlanBenchFixtureTests
{
    [Theory]
    [InlineData("blocksworld")]
    [InlineData("logistics")]
    public void Symbolic_planner_solves_every_planbench_instance_with_plans_close_to_the_reference(string domainName)
    {
        // How long each instance takes is measured by the planning benchmark (tests/Maximus.Benchmarks), not here.
        var folder = PlanBench.RequireDomain(domainName);
        var domainFile = Path.Combine(folder, "domain.pddl");
        var domain = PddlParser.ParseDomain(File.ReadAllText(domainFile), domainFile);
        var planner = new SymbolicPlanner();
        var output = TestContext.Current.TestOutputHelper;

        var lengths = new List<(string Name, int Steps)>();
        foreach (var file in Directory.GetFiles(Path.Combine(folder, "instances"), "*.pddl").Order(StringComparer.Ordinal))
        {
            var problem = PddlParser.ParseProblem(File.ReadAllText(file), domain, file);
            var environment = new PddlEnvironment(domain, problem);

            var response = planner.Plan(PlanBench.Request(environment), TestContext.Current.CancellationToken);

            var name = Path.GetFileName(file);
            Assert.True(response.Candidates.Count > 0, $"{name}: {response.FailureReason}");
            var plan = response.Candidates[0];
            Assert.Equal("symbolic", plan.Planner);
            PlanBench.Replay(environment, plan.Steps, name);
            Assert.True(environment.GoalReached, $"{name}: goal not reached after replaying the plan");
            lengths.Add((name, plan.Steps.Count));
        }

        var reference = ReferencePlanLengths(folder);
        var referenceSteps = lengths.Sum(t => reference.GetValueOrDefault(t.Name));
        output?.WriteLine($"{domainName}: {lengths.Count} instances, total steps {lengths.Sum(t => t.Steps)} (reference plans: {referenceSteps})");
        foreach (var t in lengths.Where(t => reference.TryGetValue(t.Name, out var r) && t.Steps > r))
        {
            output?.WriteLine($"  {t.Name}: {t.Steps} steps, reference {reference[t.Name]}");
        }

        if (reference.Count == lengths.Count)
        {
            // Plans are not optimal, but must stay close to the reference plans overall.
            Assert.True(lengths.Sum(t => t.Steps) <= referenceSteps * 1.2, $"plans too long: {lengths.Sum(t => t.Steps)} steps vs {referenceSteps}");
        }
    }

    /// <summary>Plan lengths from the fixture's ground_truth_plans.json, when present.</summary>
    private static Dictionary<string, int> ReferencePlanLengths(string folder)
    {
        var file = Path.Combine(folder, "ground_truth_plans.json");
        var lengths = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return lengths;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(file));
        if (document.RootElement.TryGetProperty("plans", out var plans) && plans.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in plans.EnumerateObject())
            {
                if (entry.Value.TryGetProperty("plan_length", out var length) && length.TryGetInt32(out var n))
                {
                    lengths[entry.Name] = n;
                }
            }
        }

        return lengths;
    }
}
