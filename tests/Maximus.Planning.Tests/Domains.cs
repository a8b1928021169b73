using System.Text;
using Maximus.Tests;

namespace Maximus.Planning.Tests;

/// <summary>PDDL written for these tests (not copied from fixtures); Blocksworld is shared with other test projects.</summary>
internal static class Domains
{
    /// <summary>The shared Blocksworld of <c>tests/TestData/pddl</c> (domain <c>blocks</c>).</summary>
    public static string Blocksworld => TestPddl.Blocksworld;

    /// <summary>A tower d-c-b-a (a on top) to be reversed.</summary>
    public const string BlocksworldReverseTower = """
        (define (problem reverse-4)
          (:domain blocks)
          (:objects a b c d)
          (:init (handempty) (ontable d) (on c d) (on b c) (on a b) (clear a))
          (:goal (and (on d c) (on c b) (on b a))))
        """;

    /// <summary>Untyped Logistics: types are unary static predicates.</summary>
    public const string Logistics = """
        (define (domain logistics)
          (:requirements :strips)
          (:predicates (package ?p) (truck ?t) (airplane ?a) (location ?l) (airport ?l) (city ?c)
                       (at ?x ?l) (in ?p ?v) (in-city ?l ?c))
          (:action load-truck
            :parameters (?p ?t ?l)
            :precondition (and (package ?p) (truck ?t) (location ?l) (at ?t ?l) (at ?p ?l))
            :effect (and (not (at ?p ?l)) (in ?p ?t)))
          (:action unload-truck
            :parameters (?p ?t ?l)
            :precondition (and (package ?p) (truck ?t) (location ?l) (at ?t ?l) (in ?p ?t))
            :effect (and (not (in ?p ?t)) (at ?p ?l)))
          (:action load-airplane
            :parameters (?p ?a ?l)
            :precondition (and (package ?p) (airplane ?a) (airport ?l) (at ?a ?l) (at ?p ?l))
            :effect (and (not (at ?p ?l)) (in ?p ?a)))
          (:action unload-airplane
            :parameters (?p ?a ?l)
            :precondition (and (package ?p) (airplane ?a) (airport ?l) (at ?a ?l) (in ?p ?a))
            :effect (and (not (in ?p ?a)) (at ?p ?l)))
          (:action drive-truck
            :parameters (?t ?from ?to ?c)
            :precondition (and (truck ?t) (location ?from) (location ?to) (city ?c)
                               (at ?t ?from) (in-city ?from ?c) (in-city ?to ?c))
            :effect (and (not (at ?t ?from)) (at ?t ?to)))
          (:action fly-airplane
            :parameters (?a ?from ?to)
            :precondition (and (airplane ?a) (airport ?from) (airport ?to) (at ?a ?from))
            :effect (and (not (at ?a ?from)) (at ?a ?to))))
        """;

    /// <summary>Two cities with a truck each and one airplane; one package crosses, one stays in its city.</summary>
    public const string LogisticsProblem = """
        (define (problem two-cities)
          (:domain logistics)
          (:objects p1 p2 t1 t2 plane c1 c2 post1 port1 post2 port2)
          (:init (package p1) (package p2) (truck t1) (truck t2) (airplane plane)
                 (city c1) (city c2)
                 (location post1) (location port1) (location post2) (location port2)
                 (airport port1) (airport port2)
                 (in-city post1 c1) (in-city port1 c1) (in-city post2 c2) (in-city port2 c2)
                 (at t1 port1) (at t2 port2) (at plane port1)
                 (at p1 post1) (at p2 post2))
          (:goal (and (at p1 post2) (at p2 port2))))
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

    /// <summary>Doors that must be unlocked before they open: negative preconditions and goals.</summary>
    public const string Doors = """
        (define (domain doors)
          (:requirements :strips :typing :negative-preconditions)
          (:types door key)
          (:predicates (locked ?d - door) (open ?d - door) (fits ?k - key ?d - door) (alarm))
          (:action unlock
            :parameters (?d - door ?k - key)
            :precondition (and (locked ?d) (fits ?k ?d))
            :effect (not (locked ?d)))
          (:action open
            :parameters (?d - door)
            :precondition (and (not (locked ?d)) (not (open ?d)) (not (alarm)))
            :effect (open ?d))
          (:action close
            :parameters (?d - door)
            :precondition (open ?d)
            :effect (not (open ?d))))
        """;

    public const string DoorsProblem = """
        (define (problem front)
          (:domain doors)
          (:objects front back - door brass iron - key)
          (:init (locked front) (fits brass front) (fits iron back) (open back))
          (:goal (and (open front) (not (open back)))))
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
