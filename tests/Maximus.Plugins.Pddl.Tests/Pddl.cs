using Maximus.Tests;

namespace Maximus.Plugins.Pddl.Tests;

/// <summary>PDDL written for these tests; Blocksworld is shared with other test projects.</summary>
internal static class Pddl
{
    /// <summary>The shared Blocksworld of <c>tests/TestData/pddl</c>: domain <c>BLOCKS</c>, with a comment.</summary>
    public static string Blocksworld => TestPddl.Blocksworld;

    /// <summary>c on a; a and b on the table; goal: a on b on c.</summary>
    public const string BlocksworldProblem = """
        (define (problem sussman)
          (:domain blocks)
          (:objects A B C)
          (:init (handempty) (ontable a) (ontable b) (on c a) (clear c) (clear b))
          (:goal (and (on a b) (on b c))))
        """;

    /// <summary>A Depots-like typed domain: a type hierarchy, constants, negative preconditions and equality.</summary>
    public const string Depot = """
        (define (domain depot)
          (:requirements :strips :typing :negative-preconditions :equality)
          (:types place locatable - object
                  depot distributor - place
                  truck hoist surface - locatable
                  pallet crate - surface)
          (:constants central - depot)
          (:predicates (at ?x - locatable ?y - place)
                       (on ?x - crate ?y - surface)
                       (in ?x - crate ?y - truck)
                       (lifting ?x - hoist ?y - crate)
                       (available ?x - hoist)
                       (clear ?x - surface)
                       (broken ?t - truck))
          (:action drive
            :parameters (?t - truck ?from ?to - place)
            :precondition (and (at ?t ?from) (not (broken ?t)) (not (= ?from ?to)))
            :effect (and (not (at ?t ?from)) (at ?t ?to)))
          (:action lift
            :parameters (?h - hoist ?c - crate ?s - surface ?p - place)
            :precondition (and (at ?h ?p) (available ?h) (at ?c ?p) (on ?c ?s) (clear ?c))
            :effect (and (not (at ?c ?p)) (lifting ?h ?c) (not (clear ?c)) (not (available ?h)) (clear ?s) (not (on ?c ?s))))
          (:action refuel
            :parameters (?t - truck)
            :precondition (at ?t central)
            :effect (not (broken ?t))))
        """;

    public const string DepotProblem = """
        (define (problem depot-1)
          (:domain depot)
          (:objects north - distributor
                    t1 t2 - truck
                    h1 - hoist
                    p1 - pallet
                    c1 - crate)
          (:init (at t1 central) (at t2 central) (broken t2)
                 (at h1 north) (available h1)
                 (at p1 north) (at c1 north) (on c1 p1) (clear c1))
          (:goal (and (at t1 north) (lifting h1 c1) (not (broken t2)))))
        """;
}
