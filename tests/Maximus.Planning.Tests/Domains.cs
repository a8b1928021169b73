using System.Text;

namespace Maximus.Planning.Tests;

/// <summary>PDDL written for these tests (not copied from fixtures).</summary>
internal static class Domains
{
    public const string Blocksworld = """
        (define (domain blocks)
          (:requirements :strips)
          (:predicates (on ?x ?y) (ontable ?x) (clear ?x) (handempty) (holding ?x))
          (:action pick-up
            :parameters (?x)
            :precondition (and (clear ?x) (ontable ?x) (handempty))
            :effect (and (not (ontable ?x)) (not (clear ?x)) (not (handempty)) (holding ?x)))
          (:action put-down
            :parameters (?x)
            :precondition (holding ?x)
            :effect (and (not (holding ?x)) (clear ?x) (handempty) (ontable ?x)))
          (:action stack
            :parameters (?x ?y)
            :precondition (and (holding ?x) (clear ?y))
            :effect (and (not (holding ?x)) (not (clear ?y)) (clear ?x) (handempty) (on ?x ?y)))
          (:action unstack
            :parameters (?x ?y)
            :precondition (and (on ?x ?y) (clear ?x) (handempty))
            :effect (and (holding ?x) (clear ?y) (not (clear ?x)) (not (handempty)) (not (on ?x ?y)))))
        """;

    /// <summary>A tower d-c-b-a (a on top) to be reversed.</summary>
    public const string BlocksworldReverseTower = """
        (define (problem reverse-4)
          (:domain blocks)
          (:objects a b c d)
          (:init (handempty) (ontable d) (on c d) (on b c) (on a b) (clear a))
          (:goal (and (on d c) (on c b) (on b a))))
        """;

    /// <summary>Typed Logistics with a type hierarchy (airport is a location, truck and airplane are vehicles).</summary>
    public const string TypedLogistics = """
        (define (domain typed-logistics)
          (:requirements :strips :typing)
          (:types truck airplane - vehicle
                  package vehicle - physobj
                  airport - location
                  city location physobj - object)
          (:predicates (in-city ?loc - location ?city - city)
                       (at ?obj - physobj ?loc - location)
                       (in ?pkg - package ?veh - vehicle))
          (:action load
            :parameters (?pkg - package ?veh - vehicle ?loc - location)
            :precondition (and (at ?veh ?loc) (at ?pkg ?loc))
            :effect (and (not (at ?pkg ?loc)) (in ?pkg ?veh)))
          (:action unload
            :parameters (?pkg - package ?veh - vehicle ?loc - location)
            :precondition (and (at ?veh ?loc) (in ?pkg ?veh))
            :effect (and (not (in ?pkg ?veh)) (at ?pkg ?loc)))
          (:action drive
            :parameters (?truck - truck ?from ?to - location ?city - city)
            :precondition (and (at ?truck ?from) (in-city ?from ?city) (in-city ?to ?city) (not (= ?from ?to)))
            :effect (and (not (at ?truck ?from)) (at ?truck ?to)))
          (:action fly
            :parameters (?plane - airplane ?from ?to - airport)
            :precondition (and (at ?plane ?from) (not (= ?from ?to)))
            :effect (and (not (at ?plane ?from)) (at ?plane ?to))))
        """;

    public const string TypedLogisticsProblem = """
        (define (problem two-cities)
          (:domain typed-logistics)
          (:objects t1 t2 - truck p1 - airplane pkg1 pkg2 - package
                    c1 c2 - city home1 home2 - location ap1 ap2 - airport)
          (:init (in-city home1 c1) (in-city ap1 c1) (in-city home2 c2) (in-city ap2 c2)
                 (at t1 home1) (at t2 ap2) (at p1 ap1)
                 (at pkg1 home1) (at pkg2 home2))
          (:goal (and (at pkg1 home2) (at pkg2 ap1))))
        """;

    /// <summary>A Blocksworld problem with random initial and goal towers.</summary>
    public static string RandomBlocksworld(int blocks, int seed)
    {
        var random = new Random(seed);
        var names = Enumerable.Range(0, blocks).Select(i => $"b{i}").ToList();
        var sb = new StringBuilder();
        sb.Append($"(define (problem random-{blocks}-{seed}) (:domain blocks) (:objects {string.Join(' ', names)})\n");
        sb.Append("(:init (handempty)");
        foreach (var tower in RandomTowers(names, random))
        {
            sb.Append($" (ontable {tower[0]}) (clear {tower[^1]})");
            for (var i = 1; i < tower.Count; i++)
            {
                sb.Append($" (on {tower[i]} {tower[i - 1]})");
            }
        }

        sb.Append(")\n(:goal (and");
        foreach (var tower in RandomTowers(names, random))
        {
            for (var i = 1; i < tower.Count; i++)
            {
                sb.Append($" (on {tower[i]} {tower[i - 1]})");
            }
        }

        sb.Append(")))\n");
        return sb.ToString();
    }

    private static List<List<string>> RandomTowers(List<string> names, Random random)
    {
        var shuffled = names.OrderBy(_ => random.Next()).ToList();
        var towers = new List<List<string>>();
        foreach (var name in shuffled)
        {
            var choice = random.Next(towers.Count + 1);
            if (choice == towers.Count || random.Next(4) == 0)
            {
                towers.Add([name]);
            }
            else
            {
                towers[choice].Add(name);
            }
        }

        return towers;
    }
}
