using System.CommandLine;
using System.Text.Json;
using Maximus.Benchmarks;
using Maximus.ServiceDefaults;

// Benchmarks print one JSON object (--json) on the last line of standard output; progress goes to standard error.
var root = new RootCommand("Maximus benchmarks: numbers with p50/p95/p99, not timed unit tests.");

var json = new Option<bool>("--json") { Description = "Print the result as one JSON object.", Recursive = true };
root.Options.Add(json);

var iterations = new Option<int>("--iterations") { Description = "Logs per priority.", DefaultValueFactory = _ => 1000 };
var concurrency = new Option<int>("--concurrency") { Description = "Concurrent submitters.", DefaultValueFactory = _ => 100 };
var delay = new Option<int>("--reflector-delay-ms") { Description = "Artificial delay of every reflection (a slow, model-backed reflector).", DefaultValueFactory = _ => 0 };
var reflection = new Command("reflection", "Submit latency of the reflector client per priority, and no lost logs.") { iterations, concurrency, delay };
reflection.SetAction(async result =>
{
    var r = await ReflectionBenchmark.RunAsync(result.GetValue(iterations), result.GetValue(concurrency), result.GetValue(delay), Console.Error);
    Print(r, result.GetValue(json));
    return r.Lost == 0 ? 0 : 1;
});
root.Subcommands.Add(reflection);

var suite = new Option<string>("--suite") { Description = "A folder with domain.pddl, instances/*.pddl and optionally ground_truth_plans.json.", Required = true };
var planner = new Option<string>("--planner") { Description = "symbolic, llm (model only) or llm+wm (model proposes, world model checks).", DefaultValueFactory = _ => "symbolic" };
var noise = new Option<double>("--proposer-noise") { Description = "Probability that each proposed step is replaced by a random action.", DefaultValueFactory = _ => 0 };
var seed = new Option<int>("--seed") { Description = "Seed of the proposer noise.", DefaultValueFactory = _ => 42 };
var limit = new Option<int>("--limit") { Description = "At most this many instances.", DefaultValueFactory = _ => int.MaxValue };
var replanBudget = new Option<int?>("--max-replans") { Description = "Replan budget of every mission, the same for both arms of a noise run (default 3; 60 with --proposer-noise)." };
var planning = new Command("planning", "Every instance of a suite as a full mission; success is the plugin's own goal check.") { suite, planner, noise, seed, limit, replanBudget };
planning.SetAction(async result =>
{
    try
    {
        var r = await PlanningBenchmark.RunAsync(result.GetValue(suite)!, result.GetValue(planner)!, result.GetValue(noise), result.GetValue(seed), result.GetValue(limit), result.GetValue(replanBudget), Console.Error);
        Print(r, result.GetValue(json));
        return 0;
    }
    catch (ArgumentException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 2;
    }
});
root.Subcommands.Add(planning);
root.Subcommands.Add(ColdStartBenchmark.CreateCommand(json));
root.Subcommands.Add(MemoryBenchmark.CreateCommand(json));
root.Subcommands.Add(MigrateBenchmark.CreateCommand(json));
root.Subcommands.Add(MemoryApiLoadBenchmark.CreateCommand(json));
root.Subcommands.Add(LocomoBenchmark.CreateCommand(json));
root.Subcommands.Add(LearningBenchmark.CreateCommand(json));
root.Subcommands.Add(EdgeBenchmark.CreateCommand(json));
root.Subcommands.Add(LoadBenchmark.CreateCommand(json));
root.Subcommands.Add(ChaosBenchmark.CreateCommand(json));

return await root.Parse(args).InvokeAsync();

static void Print(object result, bool asJson)
{
    var text = JsonSerializer.Serialize(result, result.GetType(), new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !asJson });
    Console.Out.WriteLine(text);
}
