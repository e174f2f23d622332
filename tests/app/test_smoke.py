def test_visit_list_answers_for_dispatcher(client, as_dispatcher):
    from tests.factories import VisitFactory

    VisitFactory.create_batch(3)
    response = client.get("/api/v1/visits", headers=as_dispatcher)
    assert response.status_code == 200
    assert len(response.json) == 3
