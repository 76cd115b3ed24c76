-- Monitoring visits (intake's MonitoringVisitRecorded): which visit of the schedule, when, and the
-- survey's dimension scores and composite — codes and scores, never answers' free text (there is none).
CREATE TABLE visits (
    generation      integer NOT NULL,
    visit_id        uuid    NOT NULL,
    case_id         uuid    NOT NULL,
    visit_number    integer NOT NULL,
    scheduled_month integer,
    visited_on      date    NOT NULL,
    economic        double precision,
    social          double precision,
    psychosocial    double precision,
    composite       double precision NOT NULL,
    PRIMARY KEY (generation, visit_id)
);
CREATE INDEX visits_by_case ON visits (generation, case_id);
