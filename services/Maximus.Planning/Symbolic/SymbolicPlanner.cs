using System.Diagnostics;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Planning.Strips;

namespace Maximus.Planning.Symbolic;

/// <summary>
/// A classical planner over plugin contracts: grounds the declared STRIPS actions, then searches
/// forward with greedy best-first search guided by the FF heuristic, with duplicate detection and a
/// preferred queue for states reached through helpful actions. Further searches (weighted A*,
/// enforced hill-climbing, lazy and differently tie-broken greedy searches) look for shorter plans
/// and other candidates. Redundant steps are removed and every plan is replayed before it is
/// returned, shortest first. Cancellation throws <see cref="OperationCanceledException"/>.
/// Stateless and thread-safe: one instance can serve concurrent requests.
/// </summary>
public sealed class SymbolicPlanner
{
    public const string PlannerName = "symbolic";

    private readonly SymbolicPlannerOptions _options;

    public SymbolicPlanner()
        : this(new SymbolicPlannerOptions())
    {
    }

    public SymbolicPlanner(SymbolicPlannerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public PlanningResponse Plan(PlanningRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.State);
        ct.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        long expanded = 0;
        PlanningResponse Fail(string reason) => new([], reason, expanded, clock.Elapsed.TotalMilliseconds);

        var actions = request.Actions ?? [];
        var goal = request.Goal ?? [];
        var unknown = UnknownGoalObjects(actions, request.State, goal);
        if (unknown.Count > 0)
        {
            return Fail($"goal mentions unknown objects: {string.Join(", ", unknown)}");
        }

        var task = Grounder.Ground(actions, request.State, ct).Without(request.ExcludedSteps ?? []);
        var stripsGoal = task.CreateGoal(goal);
        if (stripsGoal.Unsatisfiable.Count > 0)
        {
            return Fail($"goal unreachable: {string.Join(", ", stripsGoal.Unsatisfiable)} can never hold");
        }

        if (task.InitialState.Satisfies(stripsGoal))
        {
            return new PlanningResponse([new CandidatePlan([], PlannerName)], null, 0, clock.Elapsed.TotalMilliseconds);
        }

        var problem = new SearchProblem(task, stripsGoal);
        var unreachable = problem.RelaxedUnreachableGoals();
        if (unreachable.Count > 0)
        {
            var ignored = task.IgnoredActions.Count == 0
                ? string.Empty
                : $" (actions the planner cannot use: {string.Join("; ", task.IgnoredActions)})";
            return Fail(
                $"goal unreachable: no sequence of the declared actions can make {string.Join(", ", unreachable)} true{ignored}");
        }

        var ff = new FfHeuristic(problem);
        var nodeLimit = Math.Max(0, request.NodeLimit);
        var deadline = Math.Max(0, request.TimeLimitMs);

        var firstBudget = new SearchBudget(nodeLimit, clock, deadline, ct);
        var first = HeuristicSearch.GreedyBestFirst(problem, ff, firstBudget, TieBreaking.Fifo, seed: 0);
        var firstMs = clock.ElapsedMilliseconds;
        expanded = firstBudget.Expanded;
        if (first.Status != SearchStatus.Solved)
        {
            return Fail(first.Status switch
            {
                SearchStatus.NodeLimit => $"node limit reached ({expanded} nodes expanded, limit {nodeLimit})",
                SearchStatus.TimeLimit => $"time limit reached ({deadline} ms)",
                _ => "goal unreachable: every reachable state was explored",
            });
        }

        var plans = new List<List<GroundAction>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        void Keep(SearchResult result)
        {
            var steps = result.Plan!.Select(a => problem.Actions[a]).ToList();
            var shortened = PlanPostProcessor.EliminateRedundantSteps(task, stripsGoal, steps, ct);
            if (task.IsSolution(shortened, stripsGoal) && keys.Add(string.Join(' ', shortened)))
            {
                plans.Add(shortened);
            }
        }

        Keep(first);

        // Further searches give other candidates and often shorter plans. Each gets a node budget
        // proportional to the first search, and together they get a time budget proportional to it.
        var maxCandidates = Math.Max(1, request.MaxCandidates);
        var extraNodes = Math.Clamp(
            _options.ExtraNodesFactor * firstBudget.Expanded,
            _options.MinimumExtraNodes,
            Math.Max(_options.MinimumExtraNodes, _options.MaximumExtraNodes));
        var extraDeadline = Math.Min(
            deadline,
            firstMs + Math.Max(_options.MinimumExtraTimeMs, (long)(_options.ExtraTimeFactor * firstMs)));
        var attempt = 0;
        foreach (var search in Alternatives(problem, ff, () => maxCandidates == 1 ? plans.Min(p => p.Count) : int.MaxValue))
        {
            var enough = plans.Count >= maxCandidates && attempt >= _options.ImprovementSearches;
            if (enough || attempt++ >= (3 * maxCandidates) + 4)
            {
                break;
            }

            var remaining = nodeLimit - expanded;
            if (remaining <= 0 || clock.ElapsedMilliseconds >= extraDeadline)
            {
                break;
            }

            var budget = new SearchBudget(Math.Min(remaining, extraNodes), clock, extraDeadline, ct);
            var result = search(budget);
            expanded += budget.Expanded;
            if (result.Status == SearchStatus.Solved)
            {
                Keep(result);
            }
        }

        var candidates = plans
            .OrderBy(p => p.Count)
            .Take(maxCandidates)
            .Select(p => new CandidatePlan(p.Select(a => a.ToPlanStep()).ToList(), PlannerName))
            .ToList();
        return new PlanningResponse(candidates, null, expanded, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// Searches that tend to find other (and shorter) plans than the first one. When a single plan is
    /// wanted, weighted A* only looks for plans shorter than the best so far (<paramref name="bound"/>).
    /// </summary>
    private static IEnumerable<Func<SearchBudget, SearchResult>> Alternatives(SearchProblem problem, FfHeuristic ff, Func<int> bound)
    {
        yield return b => HeuristicSearch.WeightedAStar(problem, ff, b, weight: 2, TieBreaking.Fifo, seed: 0, bound());
        yield return b => HeuristicSearch.WeightedAStar(problem, ff, b, weight: 1, TieBreaking.Lifo, seed: 0, bound());
        yield return b => HeuristicSearch.EnforcedHillClimbing(problem, ff, b);
        yield return b => HeuristicSearch.LazyGreedyBestFirst(problem, ff, b, TieBreaking.Fifo, seed: 0);
        yield return b => HeuristicSearch.GreedyBestFirst(problem, ff, b, TieBreaking.Lifo, seed: 0);
        for (var seed = 1; ; seed++)
        {
            var s = seed;
            yield return b => HeuristicSearch.GreedyBestFirst(problem, ff, b, TieBreaking.Random, s);
            yield return b => HeuristicSearch.WeightedAStar(problem, ff, b, weight: 3, TieBreaking.Random, s, bound());
            yield return b => HeuristicSearch.LazyGreedyBestFirst(problem, ff, b, TieBreaking.Random, s);
        }
    }

    private static List<string> UnknownGoalObjects(IReadOnlyList<PluginAction> actions, PluginState state, IReadOnlyList<ContractLiteral> goal)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        known.UnionWith((state.Objects ?? []).Select(o => o.Name));
        known.UnionWith((state.Facts ?? []).SelectMany(f => f.Arguments));
        known.UnionWith(actions
            .SelectMany(a => (a.Preconditions ?? []).Concat(a.Effects ?? []))
            .SelectMany(l => l.Arguments)
            .Where(x => !x.StartsWith('?')));
        return goal.SelectMany(g => g.Arguments).Where(x => !known.Contains(x)).Distinct().ToList();
    }
}

/// <summary>Tuning of <see cref="SymbolicPlanner"/>.</summary>
/// <param name="ImprovementSearches">Searches run after the first plan to look for shorter ones (0 = return the first plan).</param>
/// <param name="MinimumExtraNodes">Node budget of each further search, at least.</param>
/// <param name="MaximumExtraNodes">Node budget of each further search, at most.</param>
/// <param name="ExtraNodesFactor">Node budget of each further search, as a multiple of the first search's expansions.</param>
/// <param name="MinimumExtraTimeMs">Time for all further searches together, at least (within the request's limit).</param>
/// <param name="ExtraTimeFactor">Time for all further searches together, as a multiple of the first search's time.</param>
public sealed record SymbolicPlannerOptions(
    int ImprovementSearches = 2,
    int MinimumExtraNodes = 1_000,
    int MaximumExtraNodes = 20_000,
    int ExtraNodesFactor = 2,
    int MinimumExtraTimeMs = 200,
    double ExtraTimeFactor = 2.0);
