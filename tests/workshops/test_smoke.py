from tests.conftest import as_guest, login


def test_facilitator_sees_workshop_and_guest_follows(client, workshop, facilitator, guest_customer):
    login(client, facilitator)
    assert client.get(f"/w/{workshop.pk}/").status_code == 200
    client.logout()
    as_guest(client, guest_customer)
    response = client.get(f"/w/{workshop.pk}/")
    assert response.status_code == 200
    assert "Chiara" in response.content.decode()
