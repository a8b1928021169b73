; Drone courier: a parcel flies between two pads in one step, or is driven along roads in several.
; This is the domain the plugin EXECUTES. A line ending in "; hidden" is a precondition the environment enforces but
; does not declare: the learning benchmark hands missions a manifest built from this text with those lines removed.
; Flying needs calm air, which the agent can only learn by being refused.
(define (domain drone-courier)
  (:requirements :strips :typing)
  (:types parcel place)
  (:predicates
    (at ?p - parcel ?l - place)
    (road ?from - place ?to - place)
    (pad ?l - place)
    (calm))
  (:action fly
    :parameters (?p - parcel ?from - place ?to - place)
    :precondition (and (at ?p ?from) (pad ?from) (pad ?to)
      (calm) ; hidden
    )
    :effect (and (at ?p ?to) (not (at ?p ?from))))
  (:action drive
    :parameters (?p - parcel ?from - place ?to - place)
    :precondition (and (at ?p ?from) (road ?from ?to))
    :effect (and (at ?p ?to) (not (at ?p ?from)))))
