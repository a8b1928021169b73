using Maximus.Planning.Strips;

namespace Maximus.Planning.Symbolic;

/// <summary>Shortens valid plans without changing what they achieve.</summary>
internal static class PlanPostProcessor
{
    /// <summary>
    /// Greedy action elimination (Nakhost and Müller 2010): remove step i and every later step
    /// that is no longer applicable; keep the shorter plan when it still reaches the goal. Repeats
    /// until no step can be removed. Catches pairs such as pick-up x / put-down x.
    /// </summary>
    public static List<GroundAction> EliminateRedundantSteps(StripsTask task, StripsGoal goal, IReadOnlyList<GroundAction> plan, CancellationToken cancellationToken)
    {
        var current = plan.ToList();
        var changed = true;
        while (changed)
        {
            changed = false;
            var state = task.InitialState;
            for (var i = 0; i < current.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var candidate = new List<GroundAction>(current.Count);
                candidate.AddRange(current.Take(i));
                var s = state;
                for (var j = i + 1; j < current.Count; j++)
                {
                    if (s.IsApplicable(current[j]))
                    {
                        s = s.Apply(current[j]);
                        candidate.Add(current[j]);
                    }
                }

                if (s.Satisfies(goal))
                {
                    current = candidate;
                    changed = true;
                    break;
                }

                state = state.Apply(current[i]);
            }
        }

        return current;
    }
}
